/**
 * Entropy-based token masking ("Beyond the 80/20 Rule", Wang et al. 2025): the policy gradient is kept
 * only at the forking tokens, those whose next-token distribution has an entropy in the top rho
 * quantile of the batch's active tokens (rho = topEntropyQuantile; the paper keeps 20%). The threshold
 * is the (1 - rho) quantile of the active tokens' entropies, linearly interpolated as torch.quantile;
 * a token stays when its entropy is at or above it. rho = 1 keeps every token; rho = 0 only the highest.
 */
import { R1tsError } from "../../errors.ts";

/** 0/1 per token [B * T] (row-major like `entropy`): 1 = keep in the policy loss. */
export function highEntropyMask(entropy: ArrayLike<number>, mask: ArrayLike<number>, topQuantile: number): Float32Array {
  if (!(topQuantile >= 0 && topQuantile <= 1)) throw new R1tsError(`topEntropyQuantile must be in [0, 1], got ${topQuantile}`);
  if (entropy.length !== mask.length) throw new R1tsError(`highEntropyMask: ${entropy.length} entropies for ${mask.length} mask values`);
  const out = new Float32Array(mask.length);
  const active: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] > 0) active.push(entropy[i]);
  if (active.length === 0) return out;
  const threshold = quantile(active, 1 - topQuantile);
  for (let i = 0; i < mask.length; i++) if (mask[i] > 0 && entropy[i] >= threshold) out[i] = 1;
  return out;
}

/** The q-quantile with linear interpolation between order statistics (torch.quantile's default). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}
