// as-pect runs every assembly/__tests__/*.spec.ts against the kernels compiled with SIMD enabled.
// Specs call both the SIMD kernel and its scalar twin, so one build covers both paths.
export default {
  entries: ["assembly/__tests__/**/*.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
