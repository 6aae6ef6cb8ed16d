/**
 * GEMM on the reference backend against a naive triple loop measured in the same run.
 * Prints GFLOP/s and the ratio; speed is never asserted in tests (machines are shared and noisy).
 *
 *   npx -y pnpm@12.4.2 exec tsx bench/reference-gemm.ts [--sizes 128,256,512]
 */
import { Generator, matmul, randomNormal, setBackend } from "@r1ts/core";
import { timeIt } from "./timing.ts";

function naiveGemm(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += a[i * n + k] * b[k * n + j];
      c[i * n + j] = acc;
    }
  }
  return c;
}

const arg = process.argv.indexOf("--sizes");
const sizes = arg > 0 ? process.argv[arg + 1].split(",").map(Number) : [128, 256, 512];
await setBackend("reference");
const rows: Record<string, unknown>[] = [];
for (const n of sizes) {
  const gen = new Generator(n);
  const a = randomNormal([n, n], gen);
  const b = randomNormal([n, n], gen);
  const flops = 2 * n * n * n;
  const ref = timeIt(() => matmul(a, b).dispose());
  const av = a.dataSync() as Float32Array;
  const bv = b.dataSync() as Float32Array;
  const naive = timeIt(() => naiveGemm(av, bv, n));
  rows.push({
    bench: "gemm",
    n,
    backend: "reference",
    gflops: +(flops / ref.seconds / 1e9).toFixed(3),
    naiveGflops: +(flops / naive.seconds / 1e9).toFixed(3),
    ratioVsNaive: +(naive.seconds / ref.seconds).toFixed(2),
  });
  a.dispose();
  b.dispose();
}
for (const row of rows) console.log(JSON.stringify(row));
