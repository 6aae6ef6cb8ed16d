/**
 * The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code",
 * eq. 1): with n samples of a problem of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k), computed
 * as 1 - prod_{i=n-c+1..n} (1 - k/i) so that large n does not overflow. The R1 paper's pass@1 is the
 * k = 1 case: the mean correctness over the n samples.
 */
import { R1tsError } from "../errors.ts";

export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(c) || !Number.isSafeInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new R1tsError(`passAtK: need integers 0 <= c <= n and 1 <= k <= n, got n ${n}, c ${c}, k ${k}`);
  }
  if (n - c < k) return 1;
  let miss = 1;
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}

/** The mean of pass@k over problems, each given as [n samples, c correct]. */
export function meanPassAtK(counts: readonly (readonly [number, number])[], k: number): number {
  if (counts.length === 0) return Number.NaN;
  return counts.reduce((a, [n, c]) => a + passAtK(n, c, k), 0) / counts.length;
}
