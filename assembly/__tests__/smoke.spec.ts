describe("smoke", () => {
  it("simd works", () => {
    const a = new StaticArray<f32>(8);
    for (let i = 0; i < 8; i++) a[i] = <f32>i;
    const p = changetype<usize>(a);
    v128.store(p, f32x4.mul(v128.load(p), f32x4.splat(2)));
    expect<f32>(a[3]).toBe(6);
    expect<f32>(a[4]).toBe(4);
  });
});
