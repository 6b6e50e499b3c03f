// Kernels kept only as the specs' oracles: the host never calls them and no build exports them (assembly/index.ts
// is the product's list). Each is what a kernel the host does call must equal, so the spec of that kernel runs both:
//   geluForward ... residualForward  the unfused layer that linear.ts's fused kernels equal bit for bit (fused.spec.ts)
//   adamwStep, emaUpdate             the two passes adamwEmaStep fuses (adam.spec.ts)
//   mseBackward                      the whole batch's gradient that mseBackwardScaled's slices add up to (loss.spec.ts)
//   rngNextU32                       the stream position after the other draws, pinned against src/util/rng.ts (rng.spec.ts)
// They stay beside the kernels they check (same file, same helpers), each with its scalar twin; this file only
// gathers their names, and the specs import them from here.

export {
  geluForward, geluForwardScalar, geluBackward, geluBackwardScalar,
  siluForward, siluForwardScalar, siluBackward, siluBackwardScalar,
  reluForward, reluForwardScalar, reluBackward, reluBackwardScalar,
  residualForward, residualForwardScalar,
} from './activation';
export { adamwStep, adamwStepScalar, emaUpdate, emaUpdateScalar } from './adam';
export { mseBackward, mseBackwardScalar } from './loss';
export { rngNextU32, rngNextU32Scalar } from './rng';
