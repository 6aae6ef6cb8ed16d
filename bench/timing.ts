/** Median wall time of a function over repeated runs, after one warm-up run. */
export function timeIt(fn: () => void, { minRuns = 3, minSeconds = 0.5 } = {}): { seconds: number; runs: number } {
  fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || (performance.now() - start) / 1000 < minSeconds) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
    if (times.length >= 50) break;
  }
  times.sort((p, q) => p - q);
  return { seconds: times[Math.floor(times.length / 2)], runs: times.length };
}
