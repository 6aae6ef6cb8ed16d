/**
 * The webgpu backend's kernels in one run, each against a baseline measured in the same process:
 * - f32 GEMM (n x n x n): the tiled WGSL GEMM vs the naive WGSL GEMM and vs tfjs-wasm; the tiled GEMM on
 *   f16 operands (shader-f16);
 * - FP8 GEMM (E4M3, block scales, promoted accumulation) vs the f32 tiled GEMM at the same sizes;
 * - MLA decode (one new token per sequence over the 576-wide latent cache) vs attention decode over a
 *   full K/V cache (the fused Attention kernel, q/k of 192 and v of 128 per head, DeepSeek-V3's widths):
 *   time per decode step and bytes of cache read per token.
 * Speed is never asserted in tests (machines are shared and noisy): compare ratios within one run.
 *
 *   npx -y pnpm@12.4.2 exec tsx bench/webgpu-kernels.ts [--sizes 256,512,1024] [--tokens 1024,4096] [--heads 16] [--out DIR]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Generator, cast, engine, matmul, quantizeActivations, quantizeWeights } from "@r1ts/core";
import type { Backend, Tensor } from "@r1ts/core";
import { createTfjsBackendOn } from "@r1ts/backend-tfjs";
import { createWebGPUBackend, fp8Matmul, hasShaderF16, matmulF16, naiveMatmul, uploadBlockQuantized } from "@r1ts/backend-webgpu";
import type { WebGPUBackend } from "@r1ts/backend-webgpu";

const { values: args } = parseArgs({ options: { sizes: { type: "string" }, tokens: { type: "string" }, heads: { type: "string" }, out: { type: "string" } } });
const sizes = (args.sizes ?? "256,512,1024").split(",").map(Number);
const tokenCounts = (args.tokens ?? "1024,4096").split(",").map(Number);
const heads = Number(args.heads ?? 16);

/**
 * Median seconds per call of `run` (which only records GPU work), timed to completion with `sync`.
 * Calls are batched between syncs so that one batch takes >= 20 ms; one warm-up batch compiles.
 */
async function timeGpu(run: () => void, sync: () => Promise<void>, { minRuns = 3, minSeconds = 1, maxRuns = 15 } = {}): Promise<number> {
  let t0 = performance.now();
  run();
  await sync();
  t0 = performance.now();
  run();
  await sync();
  const once = Math.max(1e-4, (performance.now() - t0) / 1000);
  const inner = Math.max(1, Math.min(50, Math.ceil(0.02 / once)));
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || ((performance.now() - start) / 1000 < minSeconds && times.length < maxRuns)) {
    const s = performance.now();
    for (let i = 0; i < inner; i++) run();
    await sync();
    times.push((performance.now() - s) / 1000 / inner);
  }
  times.sort((p, q) => p - q);
  return times[Math.floor(times.length / 2)];
}

const rows: Record<string, unknown>[] = [];
const table: string[] = [];
const fmt = (x: number, digits = 2): string => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

const gpu: WebGPUBackend = await createWebGPUBackend();
const wasm: Backend = await createTfjsBackendOn({ device: "wasm" }, "tfjs-wasm");
const syncGpu = (): Promise<void> => gpu.sync();
const device = String(gpu.describe?.().device);
console.log(`webgpu adapter: ${device}`);

function randomOn(backend: Backend, shape: number[], seed: number, scale = 1): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((p, q) => p * q, 1);
  return engine.makeTensor(Float32Array.from({ length: n }, () => g.normal() * scale), shape, "f32", backend);
}

// ---- GEMM ----
table.push("| GEMM n | tiled WGSL GFLOP/s | naive WGSL GFLOP/s | tfjs-wasm GFLOP/s | tiled / naive | tiled / tfjs-wasm | f16 tiled GFLOP/s |", "|---|---|---|---|---|---|---|");
for (const n of sizes) {
  const flops = 2 * n * n * n;
  const a = randomOn(gpu, [n, n], 1);
  const b = randomOn(gpu, [n, n], 2);
  const tiled = await timeGpu(() => engine.withBackend(gpu, () => matmul(a, b).dispose()), syncGpu);
  const naive = await timeGpu(() => naiveMatmul(gpu, a, b).dispose(), syncGpu, { minRuns: 2, minSeconds: 0.5 });
  // f16 operands (read as f16 with shader-f16, accumulated in f32).
  const ah = engine.withBackend(gpu, () => cast(a, "f16"));
  const bh = engine.withBackend(gpu, () => cast(b, "f16"));
  const half = await timeGpu(() => matmulF16(gpu, ah, bh).dispose(), syncGpu);
  ah.dispose();
  bh.dispose();
  const aw = randomOn(wasm, [n, n], 1);
  const bw = randomOn(wasm, [n, n], 2);
  const tf = await timeGpu(() => engine.withBackend(wasm, () => matmul(aw, bw).dispose()), async () => {}, { minRuns: 2, minSeconds: 0.5 });
  for (const t of [a, b, aw, bw]) t.dispose();
  const row = { bench: "gemm-f32", n, tiledGflops: flops / tiled / 1e9, naiveGflops: flops / naive / 1e9, tfjsWasmGflops: flops / tf / 1e9, tiledVsNaive: naive / tiled, tiledVsTfjsWasm: tf / tiled, f16Gflops: flops / half / 1e9, f16ShaderF16: hasShaderF16(gpu) };
  rows.push(row);
  table.push(`| ${n} | ${fmt(row.tiledGflops)} | ${fmt(row.naiveGflops)} | ${fmt(row.tfjsWasmGflops)} | ${fmt(row.tiledVsNaive)}x | ${fmt(row.tiledVsTfjsWasm)}x | ${fmt(row.f16Gflops)}${row.f16ShaderF16 ? "" : " (cast to f32)"} |`);
  console.log(JSON.stringify(row));
}

// ---- FP8 GEMM ----
table.push("", "| FP8 GEMM M = N = K | FP8 GFLOP/s | f32 tiled GFLOP/s | FP8 / f32 | FP8 operand bytes / f32 |", "|---|---|---|---|---|");
for (const n of sizes) {
  const flops = 2 * n * n * n;
  const g = new Generator(7);
  const host = Float32Array.from({ length: n * n }, () => g.normal());
  const aq = uploadBlockQuantized(gpu, quantizeActivations(host, n, n));
  const bq = uploadBlockQuantized(gpu, quantizeWeights(host, n, n));
  const fp8 = await timeGpu(() => fp8Matmul(gpu, aq, bq).dispose(), syncGpu, { minRuns: 2, minSeconds: 0.5 });
  const a = randomOn(gpu, [n, n], 1);
  const b = randomOn(gpu, [n, n], 2);
  const f32 = await timeGpu(() => engine.withBackend(gpu, () => matmul(a, b, { transposeB: true }).dispose()), syncGpu);
  for (const t of [aq.codes, aq.scales, bq.codes, bq.scales, a, b]) t.dispose();
  const bytesFp8 = 2 * n * n + 4 * (n * Math.ceil(n / 128) + Math.ceil(n / 128) ** 2);
  const row = { bench: "gemm-fp8", n, fp8Gflops: flops / fp8 / 1e9, f32Gflops: flops / f32 / 1e9, fp8VsF32: f32 / fp8, operandBytesRatio: bytesFp8 / (8 * n * n) };
  rows.push(row);
  table.push(`| ${n} | ${fmt(row.fp8Gflops)} | ${fmt(row.f32Gflops)} | ${fmt(row.fp8VsF32)}x | ${fmt(row.operandBytesRatio)} |`);
  console.log(JSON.stringify(row));
}

// ---- MLA decode vs attention decode over a full K/V cache ----
const DC = 512;
const DR = 64;
const DQK = 192;
const DV = 128;
table.push(
  "",
  `| decode, H = ${heads}, T cached tokens | MLA ms / step | full-cache attention ms / step | MLA speed-up | cache bytes / token MLA | full cache | MLA GB/s of cache |`,
  "|---|---|---|---|---|---|---|",
);
for (const t of tokenCounts) {
  const qLat = randomOn(gpu, [1, heads, 1, DC], 1, 0.05);
  const qPe = randomOn(gpu, [1, heads, 1, DR], 2, 0.05);
  const c = randomOn(gpu, [1, t, DC], 3);
  const kPe = randomOn(gpu, [1, t, DR], 4);
  const scale = 1 / Math.sqrt(DQK);
  const mla = await timeGpu(() => engine.runKernel("MLAAttention", [qLat, qPe, c, kPe], { scale, causal: true, queryOffset: t - 1 })[0].dispose(), syncGpu);
  for (const x of [qLat, qPe, c, kPe]) x.dispose();
  const q = randomOn(gpu, [1, heads, 1, DQK], 5, 0.05);
  const k = randomOn(gpu, [1, heads, t, DQK], 6);
  const v = randomOn(gpu, [1, heads, t, DV], 7);
  const full = await timeGpu(() => engine.runKernel("Attention", [q, k, v], { scale, causal: true, queryOffset: t - 1 })[0].dispose(), syncGpu);
  for (const x of [q, k, v]) x.dispose();
  const mlaBytes = (DC + DR) * 4;
  const fullBytes = heads * (DQK + DV) * 4;
  const row = { bench: "decode", heads, tokens: t, mlaMs: mla * 1e3, fullCacheMs: full * 1e3, mlaSpeedup: full / mla, mlaCacheBytesPerToken: mlaBytes, fullCacheBytesPerToken: fullBytes, mlaGBs: (mlaBytes * t) / mla / 1e9 };
  rows.push(row);
  table.push(`| ${t} | ${fmt(row.mlaMs)} | ${fmt(row.fullCacheMs)} | ${fmt(row.mlaSpeedup)}x | ${mlaBytes} | ${fullBytes} | ${fmt(row.mlaGBs)} |`);
  console.log(JSON.stringify(row));
}

const stats = gpu.describe?.();
gpu.destroy();
wasm.destroy?.();
const markdown = [`webgpu adapter: ${device}`, "", ...table].join("\n");
console.log(`\n${markdown}`);
if (args.out) {
  mkdirSync(args.out, { recursive: true });
  writeFileSync(join(args.out, "webgpu-kernels.json"), JSON.stringify({ device, stats, rows }, null, 2));
  writeFileSync(join(args.out, "webgpu-kernels.md"), `${markdown}\n`);
  console.log(`wrote ${join(args.out, "webgpu-kernels.md")} and .json`);
}
