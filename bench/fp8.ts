/**
 * FP8 figures (docs/fp8.md):
 *  1. Relative error of the reference FP8 GEMM at K = 4096 with the tensor core's ~14-bit accumulator
 *     (13 explicit mantissa bits, truncating), promoted to f32 every 128 / 32 elements or never,
 *     against the exact product of the same quantised operands (accumulation error) and of the f32
 *     inputs (quantisation + accumulation error).
 *  2. The relative loss gap of a short training run with FP8 linear layers vs the same run in f32
 *     (same seed, data and steps): FP8 forward GEMMs with f32 accumulation, and with the emulated
 *     14-bit accumulator promoted every 128 elements.
 *
 *   npx -y pnpm@12.4.2 exec tsx bench/fp8.ts [--steps 150] [--m 32]
 */
import { parseArgs } from "node:util";
import {
  AdamW, CharTokenizer, Generator, TransformerLM, type Fp8LinearOptions, dequantizeBlocks, dispose, enableFp8Training, fp8Gemm,
  presetConfig, quantizeActivations, quantizeWeights, setBackend, tensor, valueAndGradsOf,
} from "@r1ts/core";

const { values } = parseArgs({ options: { steps: { type: "string", default: "150" }, m: { type: "string", default: "32" } } });
await setBackend("reference");

// ---- 1. GEMM error at K = 4096 ----
function relative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function maxRelative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-3 * scale));
  return worst;
}

function exact(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
    c[i * n + j] = s;
  }
  return c;
}

const m = Number(values.m);
const n = m;
const k = 4096;
const gemmRows: Record<string, string>[] = [];
for (const [name, draw] of [
  ["normal inputs", (g: Generator) => g.normal()],
  ["positive inputs (|normal|)", (g: Generator) => Math.abs(g.normal())],
] as const) {
  const g = new Generator(1);
  const a = Float32Array.from({ length: m * k }, () => draw(g));
  const b = Float32Array.from({ length: n * k }, () => draw(g));
  const qa = quantizeActivations(a, m, k);
  const qb = quantizeWeights(b, n, k);
  const ofQuantised = exact(dequantizeBlocks(qa), dequantizeBlocks(qb), m, n, k);
  const ofInputs = exact(a, b, m, n, k);
  for (const promotionInterval of [128, 32, "never"] as const) {
    const c = fp8Gemm(qa, qb, { promotionInterval });
    gemmRows.push({
      inputs: name,
      promotion: String(promotionInterval),
      "rel. error vs exact(quantised)": relative(c, ofQuantised).toExponential(2),
      "max elementwise": maxRelative(c, ofQuantised).toExponential(2),
      "rel. error vs exact(f32 inputs)": relative(c, ofInputs).toExponential(2),
    });
  }
}
console.log(`FP8 GEMM, M = N = ${m}, K = ${k}, 14-bit truncating accumulator (13 explicit mantissa bits)`);
console.table(gemmRows);

// ---- 2. Training loss gap ----
// Fresh arithmetic lines ("47+85=132\n") from a seeded generator: operands are unpredictable, sums are
// learnable, so the loss settles above zero instead of memorising a fixed text.
const tokenizer = CharTokenizer.fromText("0123456789+=\n");
const steps = Number(values.steps);
const [batch, seq] = [8, 48];

function arithmeticStream(seed: number): () => number[] {
  const g = new Generator(seed);
  let buffer: number[] = [];
  return () => {
    while (buffer.length < seq + 1) {
      const a = g.int(100);
      const b = g.int(100);
      buffer.push(...tokenizer.encode(`${a}+${b}=${a + b}\n`));
    }
    const out = buffer.slice(0, seq + 1);
    buffer = buffer.slice(seq + 1);
    return out;
  };
}

function batchOf(next: () => number[]): [number[], number[]] {
  const rows = Array.from({ length: batch }, next);
  return [rows.flatMap((r) => r.slice(0, seq)), rows.flatMap((r) => r.slice(1))];
}

async function train(fp8: Fp8LinearOptions | undefined, initSeed = 5): Promise<{ losses: number[]; heldOut: number; seconds: number }> {
  const t0 = performance.now();
  const model = new TransformerLM(presetConfig("tiny-llama", { vocabSize: tokenizer.vocabSize, dim: 64, interDim: 172, nLayers: 2, seed: initSeed }));
  if (fp8) enableFp8Training(model, fp8);
  const opt = new AdamW(model.namedParameters(), { lr: 3e-3, weightDecay: 0 });
  const next = arithmeticStream(9);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const [xs, ys] = batchOf(next);
    const x = tensor(Int32Array.from(xs), [batch, seq]);
    const y = tensor(Int32Array.from(ys), [batch, seq]);
    const { value, grads } = valueAndGradsOf(() => model.loss(x, y), model.parameters());
    losses.push(value.itemSync());
    opt.step(grads);
    dispose([x, y, value, grads]);
  }
  // Held-out loss on 4 fresh batches (the same for every run), in the run's own precision.
  const held = arithmeticStream(12345);
  let heldOut = 0;
  for (let i = 0; i < 4; i++) {
    const [xs, ys] = batchOf(held);
    const x = tensor(Int32Array.from(xs), [batch, seq]);
    const y = tensor(Int32Array.from(ys), [batch, seq]);
    const l = model.loss(x, y);
    heldOut += l.itemSync() / 4;
    dispose([x, y, l]);
  }
  opt.dispose();
  model.dispose();
  return { losses, heldOut, seconds: (performance.now() - t0) / 1000 };
}

const tail = (l: number[]) => l.slice(-30).reduce((p, q) => p + q, 0) / 30;
const runs = [
  { run: "f32", result: await train(undefined) },
  { run: "f32, another init seed (noise floor)", result: await train(undefined, 6) },
  { run: "FP8 forward GEMMs, f32 accumulation", result: await train({}) },
  { run: "FP8, 14-bit accumulator, promotion every 128", result: await train({ accumulator: { promotionInterval: 128 } }) },
];
const base = runs[0].result;
const gap = (a: number, b: number) => `${((a / b - 1) * 100).toFixed(3)}%`;
console.log(`\nTraining: tiny-llama (dim 64, 2 layers), ${steps} steps of ${batch} x ${seq} characters of fresh arithmetic, AdamW 3e-3, same batches`);
console.table(runs.map(({ run, result }) => ({
  run,
  "train loss (last 30 steps)": tail(result.losses).toFixed(4),
  "gap vs f32": result === base ? "-" : gap(tail(result.losses), tail(base.losses)),
  "held-out loss": result.heldOut.toFixed(4),
  "held-out gap": result === base ? "-" : gap(result.heldOut, base.heldOut),
  seconds: result.seconds.toFixed(0),
})));
