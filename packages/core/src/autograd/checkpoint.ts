/**
 * Gradient checkpointing (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost"): run a
 * function without keeping its intermediates on the tape, and recompute them when the backward pass
 * reaches it. The tape then holds only the function's inputs and outputs; the recomputation issues the
 * same kernels on the same values in the same order, so the gradients are bit-identical to an unbroken
 * tape's (tested), for the price of one more forward pass of the function.
 */
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { backpropMany } from "./backprop.ts";

/**
 * Runs `fn(...inputs)` checkpointed. `captured` lists the tensors `fn` reads without taking them as
 * arguments (a module's parameters): gradients flow to them too, and they must outlive the backward
 * pass; any other tensor `fn` needs (tables, masks) goes in `inputs`, whose views the tape keeps.
 * Reading a tensor that gradients flow to without declaring it fails at once (TensorStateError). `fn` must be pure in its inputs
 * (it runs twice when gradients are taken) and may return one tensor or several. Outside a tape (or
 * when nothing it reads is watched) it is a plain call.
 */
export function checkpoint(fn: (...inputs: Tensor[]) => Tensor[], inputs: readonly Tensor[], captured: readonly Tensor[]): Tensor[] {
  const all = [...inputs, ...captured];
  const allowed = new Set(all.map((t) => t.id));
  const outputs = engine.guardReads(allowed, "checkpoint", () => engine.tidy(() => fn(...inputs)));
  engine.recordCustom(all, outputs, (outputGrads, { inputs: saved, needsGrad }) =>
    engine.tidy(() => {
      // Views of the saved inputs stand in for the originals; captured tensors are watched as they are
      // (fn reads them directly), which is safe because nothing changes them before backward ends.
      const args = saved.slice(0, inputs.length).map((t) => engine.view(t, t.shape, "Identity"));
      const sources = [...args, ...captured].filter((_, i) => needsGrad[i]);
      const { tape, outputs: again } = engine.recordInto(sources, () => fn(...args));
      try {
        const seeds = again.map((o, k) => ({ y: o, dy: outputGrads[k] })).filter((s) => s.dy !== null && s.y.dtype === "f32");
        const grads = backpropMany(tape, seeds.map((s) => s.y), seeds.map((s) => s.dy!), sources);
        let k = 0;
        return all.map((_, i) => (needsGrad[i] ? grads[k++] : null));
      } finally {
        tape.dispose();
      }
    }),
  );
  return outputs;
}
