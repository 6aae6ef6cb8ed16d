/**
 * MoE training wiring (DeepSeek-V3 §2.1.2; docs/moe.md). A training forward counts the experts' loads and
 * adds the sequence-wise balance loss (alpha * sum_i f_i P_i); after every optimizer step each gate's bias
 * moves against its experts' load by gamma. Every trainer does both for an MoE model (Trainer.trainStep);
 * `tapMoeBiasUpdate` does the bias update from a hook, for loops of your own.
 */
import type { MoEForwardOptions } from "../nn/moe.ts";
import { DEFAULT_BIAS_UPDATE_SPEED, moeGates, updateMoeBiases } from "../nn/moe-balance.ts";
import type { Module } from "../nn/module.ts";
import type { TrainerHooks } from "./hooks/trainer-hooks.ts";

/** What a training forward passes to the MoE layers: count loads, use the trainer's alpha (when set). */
export function trainingForwardOptions(balanceLossAlpha: number | undefined): Omit<MoEForwardOptions, "auxLosses"> {
  return balanceLossAlpha === undefined ? { countLoad: true } : { countLoad: true, balanceLossAlpha };
}

export function isMoeModel(model: Module): boolean {
  return moeGates(model).length > 0;
}

export const MOE_BIAS_UPDATE_TAP = "r1ts:moe-bias-update";

export interface MoeBiasUpdateOptions {
  /** The update speed gamma (default 0.001). */
  gamma?: number;
  /** Called after each update with each gate's max / mean load ratio over the step (for logging). */
  onUpdate?: (ratios: number[], step: number) => void;
}

/** Taps the trainer's `afterStep` hook so that every step ends with the bias update. */
export function tapMoeBiasUpdate(hooks: TrainerHooks, model: Module, { gamma = DEFAULT_BIAS_UPDATE_SPEED, onUpdate }: MoeBiasUpdateOptions = {}): void {
  hooks.afterStep.tapPromise(MOE_BIAS_UPDATE_TAP, async (event) => {
    const ratios = await updateMoeBiases(model, gamma);
    onUpdate?.(ratios, event.step);
  });
}
