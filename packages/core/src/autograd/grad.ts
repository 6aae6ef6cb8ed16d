/** Taking gradients: valueAndGrads over explicit tensors, and gradients of a loss with respect to variables. */
import { GradientError } from "../errors.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape } from "../tensor/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { onesLike, zerosLike } from "../ops/creation.ts";
import { backprop } from "./backprop.ts";

export interface ValueAndGrads {
  value: Tensor;
  /** One gradient per source, same shape; zeros where the value does not depend on the source. */
  grads: Tensor[];
}

/**
 * Runs `f`, recording it, and returns its value and the gradient of sum(value * dy) with respect to
 * each source (dy defaults to ones, so a scalar value gives the ordinary gradient). Intermediates are freed.
 */
export function valueAndGradsOf(f: () => Tensor, sources: readonly Tensor[], dy?: Tensor): ValueAndGrads {
  return engine.tidy(() => {
    const tape = engine.startTape();
    try {
      for (const s of sources) {
        if (s.dtype !== "f32") throw new GradientError(`cannot differentiate with respect to a ${s.dtype} tensor ${formatShape(s.shape)}: only f32`);
        tape.watch(s);
      }
      const value = f();
      if (value.dtype !== "f32") throw new GradientError(`the differentiated function returned a ${value.dtype} tensor: it must return f32`);
      engine.endTape(tape);
      if (dy && (dy.shape.length !== value.shape.length || dy.shape.some((d, i) => d !== value.shape[i]))) {
        throw new GradientError(`dy ${formatShape(dy.shape)} must match the value ${formatShape(value.shape)}`);
      }
      const seed = dy ?? onesLike(value);
      const grads = backprop(tape, value, seed, sources).map((g, i) => g ?? zerosLike(sources[i]));
      return { value, grads };
    } finally {
      engine.endTape(tape);
      tape.dispose();
    }
  });
}

/** f(...xs) -> { value, grads } with respect to every argument (jax.value_and_grad over all args). */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => ValueAndGrads {
  return (...xs) => valueAndGradsOf(() => f(...xs), xs);
}

/** f(...xs) -> gradients with respect to every argument. */
export function grads(f: (...xs: Tensor[]) => Tensor): (...xs: Tensor[]) => Tensor[] {
  return (...xs) => {
    const { value, grads: g } = valueAndGradsOf(() => f(...xs), xs);
    value.dispose();
    return g;
  };
}

/** f(x) -> gradient with respect to its single argument. */
export function grad(f: (x: Tensor) => Tensor): (x: Tensor) => Tensor {
  return (x) => grads((t) => f(t))(x)[0];
}
