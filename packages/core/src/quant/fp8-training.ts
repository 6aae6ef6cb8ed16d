/**
 * Switching a model's linear layers to FP8 training (DeepSeek-V3 §3.3.1): every Linear's forward GEMM runs
 * on FP8 block-quantised inputs, except the output head, which, like the embedding, the MoE gates, the
 * norms and the attention core, stays in higher precision as in DeepSeek-V3.
 */
import { Linear } from "../nn/linear.ts";
import type { Module } from "../nn/module.ts";
import type { Fp8LinearOptions } from "./fp8-linear.ts";

/** Names of linear layers left in full precision. */
export const FP8_EXCLUDED_LINEARS: readonly string[] = ["lm_head"];

/** Turns FP8 forward GEMMs on (or off with `enabled: false`) for every Linear of `model`; returns the dotted names switched. */
export function enableFp8Training(model: Module, options: Fp8LinearOptions & { enabled?: boolean } = {}): string[] {
  const { enabled = true, ...fp8 } = options;
  const switched: string[] = [];
  const visit = (m: Module, prefix: string): void => {
    for (const [name, child] of m.namedChildren()) {
      const path = prefix + name;
      if (child instanceof Linear && !FP8_EXCLUDED_LINEARS.includes(name)) {
        child.fp8 = enabled ? fp8 : undefined;
        switched.push(path);
      }
      visit(child, `${path}.`);
    }
  };
  visit(model, "");
  return switched;
}
