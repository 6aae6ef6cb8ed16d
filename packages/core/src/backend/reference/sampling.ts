/** Multinomial sampling of the reference backend, from the counter-based generator. */
import type { KernelImpl } from "../backend.ts";
import type { PrimitiveAttrs } from "../kernels.ts";
import { counterUniform } from "../../random/counter-hash.ts";
import { f32Of, toDataId } from "./buffer.ts";

/**
 * Sample s of row b uses uniform number (b * numSamples + s) of stream `seed`, and inverts the CDF of
 * softmax(logits[b]): the first class whose cumulative probability exceeds u.
 */
export const multinomialKernel: KernelImpl<PrimitiveAttrs["Multinomial"]> = ([logits], { numSamples, seed }) => {
  const src = f32Of(logits);
  const [rows, classes] = logits.shape;
  const dst = new Int32Array(rows * numSamples);
  const probs = new Float64Array(classes);
  for (let b = 0; b < rows; b++) {
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, src[b * classes + j]);
    let total = 0;
    for (let j = 0; j < classes; j++) {
      probs[j] = Math.exp(src[b * classes + j] - max);
      total += probs[j];
    }
    for (let s = 0; s < numSamples; s++) {
      const u = counterUniform(seed, b * numSamples + s) * total;
      let acc = 0;
      let chosen = classes - 1;
      for (let j = 0; j < classes; j++) {
        acc += probs[j];
        if (u < acc) {
          chosen = j;
          break;
        }
      }
      // Never pick a class of probability zero (the fall-through above lands on the last class).
      while (probs[chosen] === 0 && chosen > 0) chosen--;
      dst[b * numSamples + s] = chosen;
    }
  }
  return [toDataId(dst)];
};
