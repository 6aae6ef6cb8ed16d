/**
 * Reference-model sync (TR-DPO, Gorbatovski et al. 2024; TRL's sync_ref_model): every `refSyncSteps`
 * steps the frozen reference policy moves toward the current policy,
 *
 *   pi_ref <- alpha pi_theta + (1 - alpha) pi_ref      (alpha = refMixupAlpha; 1 copies the policy)
 *
 * parameter by parameter (same names, shapes and dtypes: the reference is a copy of the policy).
 */
import { R1tsError } from "../../errors.ts";
import { add, mul } from "../../ops/elementwise.ts";
import { noGrad, tidy } from "../../memory.ts";
import type { Module } from "../../nn/module.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/** Mixes `policy` (a module, or its parameters by name, e.g. LoRA-merged weights) into `ref` in place. */
export function mixReference(ref: Module, policy: Module | ReadonlyMap<string, Tensor>, alpha: number): void {
  if (!(Number.isFinite(alpha) && alpha >= 0 && alpha <= 1)) throw new R1tsError(`refMixupAlpha must be in [0, 1], got ${alpha}`);
  const target: ReadonlyMap<string, Tensor> = policy instanceof Map ? policy : (policy as Module).namedParameters();
  const own = ref.namedParameters();
  const missing = [...target.keys()].filter((n) => !own.has(n));
  if (missing.length > 0 || own.size !== target.size) throw new R1tsError(`mixReference: the reference does not have the policy's parameters (missing ${missing.slice(0, 3).join(", ") || "none"}, ${own.size} vs ${target.size})`);
  noGrad(() => {
    for (const [name, r] of own) {
      const p = target.get(name)!;
      const mixed = tidy(() => (alpha === 1 ? mul(p, 1) : add(mul(p, alpha), mul(r, 1 - alpha))));
      r.assign(mixed);
      mixed.dispose();
    }
  });
}

/** Whether the reference syncs before step `step` (steps counted from 0; every > 0). */
export function isReferenceSyncStep(step: number, every: number): boolean {
  return every > 0 && step > 0 && step % every === 0;
}
