/** Inverted dropout (Srivastava et al. 2014): zero each element with probability `rate`, scale the rest by 1 / (1 - rate). */
import { cast, greaterEqual, mul } from "../ops/elementwise.ts";
import { randomUniform } from "../ops/creation.ts";
import { tidy } from "../memory.ts";
import type { Generator } from "../random/generator.ts";
import type { Tensor } from "../tensor/tensor.ts";

export function dropout(x: Tensor, rate: number, generator: Generator): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  return tidy(() => {
    const keep = cast(greaterEqual(randomUniform(x.shape, generator, 0, 1, x.backend), rate), "f32");
    return mul(x, mul(keep, 1 / (1 - rate)));
  });
}
