import { madPeak, madPeakScalar, fmaPeak, fmaPeakScalar, clockChain } from "../peak";

describe("madPeak", () => {
  it("every lane runs the scalar chains: SIMD = 4 x scalar", () => {
    for (let k = 0; k < 3; k++) {
      const n = k * 1000 + 7;
      expect<f32>(Mathf.abs(madPeak(n) - 4 * madPeakScalar(n))).toBeLessThan(1e-3);
    }
  });
  it("zero rounds give the starting values (14 + 0.125 x 91 = 25.375); s + s 1e-8 rounds back to s, so rounds keep them", () => {
    expect<f32>(Mathf.abs(madPeakScalar(0) - 25.375)).toBeLessThan(1e-4);
    expect<f32>(Mathf.abs(madPeakScalar(100000) - 25.375)).toBeLessThan(1e-3);
  });
});

describe("fmaPeak", () => {
  it("every lane runs the scalar chains (this spec build has no relaxed SIMD: mul then add, exactly)", () => {
    for (let k = 0; k < 3; k++) {
      const n = k * 1000 + 7;
      expect<f32>(Mathf.abs(fmaPeak(n) - 4 * fmaPeakScalar(n))).toBeLessThan(1e-3);
    }
    expect<f32>(Mathf.abs(fmaPeakScalar(0) - 18.6)).toBeLessThan(1e-4);
  });
});

describe("clockChain", () => {
  it("adds y 64 times a round", () => {
    expect(clockChain(0, 3)).toBe(3);
    expect(clockChain(10, 3)).toBe(3 + 640 * 3);
  });
});
