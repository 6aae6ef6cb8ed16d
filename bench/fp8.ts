/**
 * FP8 figures (REFERENCE §7):
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
const TEXT =
  "alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: " +
  "once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it, " +
  "and what is the use of a book, thought alice, without pictures or conversations? so she was considering in her own mind " +
  "(as well as she could, for the hot day made her feel very sleepy and stupid), whether the pleasure of making a daisy-chain " +
  "would be worth the trouble of getting up and picking the daisies, when suddenly a white rabbit with pink eyes ran close by her. ";
const tokenizer = CharTokenizer.fromText(TEXT);
const ids = tokenizer.encode(TEXT.repeat(8));
const steps = Number(values.steps);
const [batch, seq] = [4, 64];

async function train(fp8: Fp8LinearOptions | undefined): Promise<number[]> {
  const model = new TransformerLM(presetConfig("tiny-llama", { vocabSize: tokenizer.vocabSize, dim: 64, interDim: 172, nLayers: 2, seed: 5 }));
  if (fp8) enableFp8Training(model, fp8);
  const opt = new AdamW(model.namedParameters(), { lr: 3e-3, weightDecay: 0 });
  const data = new Generator(9);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const starts = Array.from({ length: batch }, () => data.int(ids.length - seq - 1));
    const x = tensor(Int32Array.from(starts.flatMap((s) => ids.slice(s, s + seq))), [batch, seq]);
    const y = tensor(Int32Array.from(starts.flatMap((s) => ids.slice(s + 1, s + seq + 1))), [batch, seq]);
    const { value, grads } = valueAndGradsOf(() => model.loss(x, y), model.parameters());
    losses.push(value.itemSync());
    opt.step(grads);
    dispose([x, y, value, grads]);
  }
  model.dispose();
  return losses;
}

const tail = (l: number[]) => l.slice(-20).reduce((p, q) => p + q, 0) / 20;
const t0 = performance.now();
const f32 = await train(undefined);
const t1 = performance.now();
const fp8 = await train({});
const t2 = performance.now();
const emulated = await train({ accumulator: { promotionInterval: 128 } });
const t3 = performance.now();
const base = tail(f32);
console.log(`\nTraining: tiny-llama (dim 64, 2 layers), ${steps} steps of ${batch} x ${seq} characters, AdamW 3e-3, same seed and batches`);
console.table([
  { run: "f32", "loss (mean of last 20 steps)": base.toFixed(4), "relative gap vs f32": "-", seconds: ((t1 - t0) / 1000).toFixed(1) },
  { run: "FP8 forward GEMMs, f32 accumulation", "loss (mean of last 20 steps)": tail(fp8).toFixed(4), "relative gap vs f32": `${((tail(fp8) / base - 1) * 100).toFixed(3)}%`, seconds: ((t2 - t1) / 1000).toFixed(1) },
  { run: "FP8, 14-bit accumulator, promotion every 128", "loss (mean of last 20 steps)": tail(emulated).toFixed(4), "relative gap vs f32": `${((tail(emulated) / base - 1) * 100).toFixed(3)}%`, seconds: ((t3 - t2) / 1000).toFixed(1) },
]);
console.log(`first losses: f32 ${f32[0].toFixed(4)}, fp8 ${fp8[0].toFixed(4)}, emulated ${emulated[0].toFixed(4)}`);
