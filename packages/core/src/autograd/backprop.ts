/** Reverse-mode accumulation over a tape. */
import { GradientError } from "../errors.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { getGradient } from "./registry.ts";
import type { CustomGradient, Tape } from "./tape.ts";

/**
 * Walks the tape backwards from `y` (seeded with `dy`) and returns the gradient of each source,
 * or null where no path leads from the source to `y`. Runs with recording paused.
 */
export function backprop(tape: Tape, y: Tensor, dy: Tensor, sources: readonly Tensor[]): (Tensor | null)[] {
  return backpropMany(tape, [y], [dy], sources);
}

/** backprop seeded at several outputs at once: the gradient of sum_k sum(ys[k] * dys[k]). */
export function backpropMany(tape: Tape, ys: readonly Tensor[], dys: readonly Tensor[], sources: readonly Tensor[]): (Tensor | null)[] {
  if (ys.length !== dys.length) throw new GradientError(`backprop: ${ys.length} outputs but ${dys.length} output gradients`);
  return engine.noGrad(() => {
    const grads = new Map<number, Tensor>();
    ys.forEach((y, k) => grads.set(y.id, dys[k]));
    const keep = new Set<number>(sources.map((s) => s.id));
    const owned = new Set<Tensor>();
    for (let n = tape.nodes.length - 1; n >= 0; n--) {
      const node = tape.nodes[n];
      const outGrad = grads.get(node.outputIds[0]);
      const ctx = {
        inputs: node.inputs,
        outputs: node.outputs,
        attrs: node.attrs,
        needsGrad: node.inputs.map((t, i) => t.dtype === "f32" && tape.isWatched({ id: node.inputIds[i] } as Tensor)),
      };
      let rawGrads: (Tensor | null)[];
      if (node.kernel === "Custom") {
        // A custom node may have several differentiable outputs: it gets each one's gradient.
        const outputGrads = node.outputIds.map((id) => grads.get(id) ?? null);
        if (outputGrads.every((g) => g === null)) continue;
        rawGrads = (node.attrs.gradient as CustomGradient)(outputGrads, ctx);
      } else {
        if (outGrad === undefined) continue;
        rawGrads = getGradient(node.kernel)(outGrad, ctx);
      }
      // A gradient function may pass dy through (Add: da = dy) or return one tensor for two inputs:
      // give each stored gradient its own view, so freeing dy or one input's gradient cannot free another's.
      const inputGrads = rawGrads.map((g, i) =>
        g && (node.outputIds.some((id) => grads.get(id) === g) || rawGrads.indexOf(g) !== i) ? engine.view(g, g.shape, "Identity") : g,
      );
      // The outputs' gradients are complete (the tape is in execution order): free them.
      for (const id of node.outputIds) {
        const g = grads.get(id);
        if (g && !keep.has(id)) {
          grads.delete(id);
          if (owned.has(g)) {
            owned.delete(g);
            g.dispose();
          }
        }
      }
      inputGrads.forEach((g, i) => {
        if (!g) return;
        const input = node.inputs[i];
        if (!shapesEqual(g.shape, input.shape)) {
          throw new GradientError(`gradient of ${node.kernel} input ${i} has shape ${formatShape(g.shape)}, expected ${formatShape(input.shape)}`);
        }
        const id = node.inputIds[i];
        const previous = grads.get(id);
        if (previous === undefined) {
          grads.set(id, g);
          owned.add(g);
        } else {
          const sum = engine.runKernel("Add", [previous, g], {})[0];
          if (owned.has(previous)) {
            owned.delete(previous);
            previous.dispose();
          }
          g.dispose();
          grads.set(id, sum);
          owned.add(sum);
        }
      });
    }
    return sources.map((s) => grads.get(s.id) ?? null);
  });
}
