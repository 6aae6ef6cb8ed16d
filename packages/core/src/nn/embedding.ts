/** Embedding: a lookup table [numEmbeddings, dim] indexed by i32 token ids. */
import { gather } from "../ops/indexing.ts";
import { ShapeError } from "../errors.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import { type InitOptions, initialWeight } from "./init.ts";
import { checkDim } from "./linear.ts";
import { Module } from "./module.ts";

export class Embedding extends Module {
  readonly weight: Variable;

  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    options: InitOptions = {},
  ) {
    super();
    checkDim("Embedding", "numEmbeddings", numEmbeddings);
    checkDim("Embedding", "dim", dim);
    this.weight = this.addParameter("weight", initialWeight([numEmbeddings, dim], options));
  }

  /** ids i32 [...] -> [..., dim] */
  forward(ids: Tensor): Tensor {
    if (ids.dtype !== "i32") throw new ShapeError(`Embedding: token ids must be i32, got ${ids.dtype}`);
    return gather(this.weight, ids, 0);
  }
}
