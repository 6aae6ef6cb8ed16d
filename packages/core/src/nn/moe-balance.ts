/**
 * Auxiliary-loss-free load balancing (DeepSeek-V3 §2.1.2, "Auxiliary-Loss-Free Load Balancing"; docs/moe.md):
 * after each training step, every MoE gate's bias moves against its experts' load over the batch,
 *   b_i -= gamma if expert i is overloaded (load above the mean), b_i += gamma if underloaded,
 * with loads counted by the training forwards since the previous update (`countLoad`). No gradient touches b.
Trainers run it after every optimizer step (train/moe-balancing.ts).
 */
import { add, cast, greater, less, mul, sub } from "../ops/elementwise.ts";
import { mean } from "../ops/reduce.ts";
import { dispose, noGrad, tidy } from "../memory.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Module } from "./module.ts";
import { MoEGate } from "./moe-gate.ts";

/** gamma, the bias update speed (0.001 in DeepSeek-V3). */
export const DEFAULT_BIAS_UPDATE_SPEED = 0.001;

/** Every MoE gate in a module tree. */
export function moeGates(root: Module): MoEGate[] {
  const out: MoEGate[] = [];
  const visit = (m: Module): void => {
    if (m instanceof MoEGate) out.push(m);
    for (const child of m.namedChildren().values()) visit(child);
  };
  visit(root);
  return out;
}

/** b += gamma * sign(mean load - load) for one gate from a load vector [E]. */
export function updateGateBias(gate: MoEGate, load: Tensor, gamma: number): void {
  const bias = gate.e_score_correction_bias;
  if (!bias) return;
  noGrad(() => {
    const next = tidy(() => {
      const avg = mean(load);
      const under = cast(less(load, avg), "f32");
      const over = cast(greater(load, avg), "f32");
      return add(bias, mul(sub(under, over), gamma));
    });
    bias.assign(next);
    next.dispose();
  });
}

/**
 * Applies the bias update to every gate of `model` from the loads counted since the last call, and restarts
 * the counts. Returns the max / mean load ratio per gate (read back from the device), for logging.
 */
export async function updateMoeBiases(model: Module, gamma = DEFAULT_BIAS_UPDATE_SPEED): Promise<number[]> {
  if (!(Number.isFinite(gamma) && gamma >= 0)) throw new RangeError(`updateMoeBiases: gamma must be a finite number >= 0, got ${gamma}`);
  const ratios: number[] = [];
  for (const gate of moeGates(model)) {
    const load = gate.takeLoad();
    if (!load) continue;
    updateGateBias(gate, load, gamma);
    ratios.push(maxOverMean(await load.data()));
    dispose(load);
  }
  return ratios;
}

/** max(load) / mean(load); 1 = perfectly balanced. */
export function maxOverMean(load: ArrayLike<number>): number {
  let max = 0;
  let total = 0;
  for (let i = 0; i < load.length; i++) {
    max = Math.max(max, load[i]);
    total += load[i];
  }
  return total === 0 ? 0 : max / (total / load.length);
}
