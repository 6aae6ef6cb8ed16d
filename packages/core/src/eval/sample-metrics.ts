/**
 * Metrics of N sampled completions per problem (the R1 paper's evaluation: k samples at temperature
 * 0.6, pass@1 averaged over them; cons@64 is majority voting):
 *
 *   mean@N  the mean correctness over all N samples of each problem, averaged over problems (= pass@1)
 *   maj@N   the share of problems whose most frequent final answer among the N samples is correct
 *           (majority voting / self-consistency; samples without an answer do not vote; a tie goes to
 *           the answer reached first)
 *   pass@k  the unbiased estimate of the chance that at least one of k samples is correct (pass-at-k.ts)
 *
 * A sample whose correctness is unknown (null: no reward applied) is left out of all three.
 */
import { R1tsError } from "../errors.ts";
import { meanPassAtK } from "./pass-at-k.ts";

export interface SampleOutcome {
  /** The sample's final answer as the task compares it (e.g. the `<answer>` content), null if none. */
  answer: string | null;
  /** Whether it was right; null when unknown. */
  correct: boolean | null;
}

export interface SampleMetrics {
  /** N: the most samples of any problem. */
  samples: number;
  /** Problems with at least one sample of known correctness. */
  problems: number;
  meanAtN: number;
  majAtN: number;
  /** pass@k by k, for each requested k no larger than the samples of the problems it is computed over. */
  passAtK: Record<string, number>;
}

export function sampleMetrics(problems: readonly (readonly SampleOutcome[])[], ks: readonly number[] = [1]): SampleMetrics {
  for (const k of ks) if (!Number.isSafeInteger(k) || k < 1) throw new R1tsError(`sampleMetrics: every k must be an integer >= 1, got ${k}`);
  const known = problems.map((samples) => samples.filter((s) => s.correct !== null)).filter((s) => s.length > 0);
  if (known.length === 0) return { samples: 0, problems: 0, meanAtN: Number.NaN, majAtN: Number.NaN, passAtK: {} };
  const meanAtN = known.reduce((a, s) => a + s.filter((x) => x.correct).length / s.length, 0) / known.length;
  const majAtN = known.reduce((a, s) => a + (majorityCorrect(s) ? 1 : 0), 0) / known.length;
  const counts = known.map((s) => [s.length, s.filter((x) => x.correct).length] as [number, number]);
  const passAtK: Record<string, number> = {};
  for (const k of new Set(ks)) {
    const usable = counts.filter(([n]) => n >= k);
    if (usable.length > 0) passAtK[String(k)] = meanPassAtK(usable, k);
  }
  return { samples: Math.max(...known.map((s) => s.length)), problems: known.length, meanAtN, majAtN, passAtK };
}

/** Whether the most frequent answer (first reached on a tie) is a correct one. */
function majorityCorrect(samples: readonly SampleOutcome[]): boolean {
  const votes = new Map<string, { count: number; correct: boolean }>();
  for (const s of samples) {
    if (s.answer === null) continue;
    const key = s.answer.trim();
    const v = votes.get(key);
    if (v) v.count++;
    else votes.set(key, { count: 1, correct: s.correct === true });
  }
  let best: { count: number; correct: boolean } | undefined;
  for (const v of votes.values()) if (!best || v.count > best.count) best = v;
  return best?.correct ?? false;
}
