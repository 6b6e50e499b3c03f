import { madPeak, madPeakScalar } from "../peak";

describe("madPeak", () => {
  it("every lane runs the scalar chains: SIMD = 4 x scalar", () => {
    for (let k = 0; k < 3; k++) {
      const n = k * 1000 + 7;
      expect<f32>(Mathf.abs(madPeak(n) - 4 * madPeakScalar(n))).toBeLessThan(1e-3);
    }
  });
  it("zero rounds give the starting values (6 + 11); rounds only ever grow the products", () => {
    expect<f32>(Mathf.abs(madPeakScalar(0) - 17.0)).toBeLessThan(1e-4);
    expect<f32>(madPeakScalar(100000)).toBeGreaterThan(17.0);
  });
});
