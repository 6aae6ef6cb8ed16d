/**
 * Gradients of fused kernels: the vector-Jacobian product of the kernel's composed fallback,
 * recomputed from the saved inputs. A backend thus gets a correct backward for every fused kernel it
 * adds; a dedicated backward kernel can replace this later without changing callers.
 */
import { registerGradient } from "../registry.ts";
import type { FusedKernel } from "../../backend/kernels.ts";
import { engine } from "../../tensor/engine.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { composedKernels } from "../../ops/fused/composed.ts";
import { backprop } from "../backprop.ts";

function composedGradient(kernel: Exclude<FusedKernel, "AdamW">): void {
  registerGradient(kernel, (dy, { inputs, attrs, needsGrad }) =>
    engine.tidy(() => {
      const sources = inputs.map((t) => engine.view(t, t.shape, "Identity"));
      const differentiable = sources.filter((t, i) => needsGrad[i] && t.dtype === "f32");
      const { tape, outputs } = engine.recordInto(differentiable, () =>
        (composedKernels[kernel] as (i: Tensor[], a: unknown) => Tensor[])(sources, attrs),
      );
      try {
        const grads = backprop(tape, outputs[0], dy, differentiable);
        return sources.map((s) => {
          const k = differentiable.indexOf(s);
          return k >= 0 ? grads[k] : null;
        });
      } finally {
        tape.dispose();
      }
    }),
    // The composed fallback is recomputed from the inputs: the outputs are not needed.
    { inputs: "all", outputs: [] },
  );
}

composedGradient("RMSNorm");
composedGradient("RoPE");
composedGradient("CrossEntropy");
composedGradient("Attention");
composedGradient("MLAAttention");
composedGradient("CacheWrite");
