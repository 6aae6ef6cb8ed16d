/**
 * Replays a trace kernel by kernel through the engine on real tensors: how a backend without a graph
 * executor runs a compiled function, and the semantics every graph executor must match.
 */
import type { KernelName } from "../backend/kernels.ts";
import type { Backend } from "../backend/backend.ts";
import type { TypedArray } from "../tensor/dtype.ts";
import { engine } from "../tensor/engine.ts";
import { sizeOf } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Trace } from "./trace.ts";

export interface InterpretedRun {
  /** One new tensor per trace output. */
  outputs: Tensor[];
  /** One new tensor per assignment (the variable's new value). */
  assigned: Tensor[];
}

/** Runs `trace` with `feeds` (one tensor per trace input, in order) on `backend`; no gradient is recorded. */
export function interpretTrace(trace: Trace, feeds: readonly Tensor[], backend: Backend): InterpretedRun {
  return engine.noGrad(() =>
    engine.tidy(() => {
      const env = new Map<number, Tensor>();
      trace.inputs.forEach((input, i) => env.set(input.value, feeds[i]));
      for (const c of trace.constants) {
        const v = trace.values[c.value];
        const values = c.splat ? fillLike(c.values, sizeOf(v.shape)) : c.values;
        env.set(c.value, engine.makeTensor(values, v.shape, v.dtype, backend));
      }
      for (const node of trace.nodes) {
        const inputs = node.inputs.map((id) => env.get(id)!);
        if (node.kernel === "Reshape") {
          env.set(node.outputs[0], engine.view(inputs[0], node.attrs.shape as number[]));
          continue;
        }
        const outputs = engine.withBackend(backend, () => engine.runKernel(node.kernel as KernelName, inputs, node.attrs as never));
        node.outputs.forEach((id, i) => env.set(id, outputs[i]));
      }
      // Fresh views, so an output that is an input (or appears twice) is still owned once per slot.
      const fresh = (id: number): Tensor => {
        const t = env.get(id)!;
        return engine.view(t, t.shape, "Identity");
      };
      return { outputs: trace.outputs.map(fresh), assigned: trace.assignments.map((a) => fresh(a.value)) };
    }),
  );
}

/** A typed array like `one` (same type) of `size` copies of its first element. */
function fillLike(one: TypedArray, size: number): TypedArray {
  const out = new (one.constructor as new (n: number) => TypedArray)(size);
  out.fill(one[0]);
  return out;
}
