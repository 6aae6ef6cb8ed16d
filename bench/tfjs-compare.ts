/**
 * The tfjs backend (devices wasm and cpu) against the reference backend, all in one run:
 * GEMM at several sizes (GFLOP/s) and one training step of the tiny-LM example's model (tokens/s),
 * each with its ratio to the reference backend measured in the same process. Speed is never
 * asserted in tests (machines are shared and noisy); compare ratios within one run.
 *
 *   npx -y pnpm@12.4.2 exec tsx bench/tfjs-compare.ts [--sizes 256,512,1024] [--batch 8] [--seq 32]
 *
 * Kernels of the reference, tfjs-wasm and tfjs-cpu backends run synchronously, so the time of a call
 * is the time of its work. Backends are timed round-robin and the median kept, so that a shared
 * machine's changing load skews every backend alike. "tfjs-wasm unfused" leaves out the fused kernels (core's composed fallbacks
 * run instead), which shows what they buy: a forward pass is timed alone too.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  AdamW,
  CharTokenizer,
  Generator,
  TransformerLM,
  clipGradNorm,
  createReferenceBackend,
  engine,
  matmul,
  randomNormal,
  tensor,
  tidy,
  valueAndGradsOf,
} from "@r1ts/core";
import type { Backend, Tensor } from "@r1ts/core";
import { createTfjsBackendOn } from "@r1ts/backend-tfjs";

/**
 * Median seconds per call of each function, measured round-robin (one call of each per round, after
 * a warm-up call), so that load changing during the run hits every backend alike.
 */
function interleavedMedians(fns: [string, () => void][], { minRounds = 3, maxRounds = 30, minSeconds = 2 } = {}): Map<string, number> {
  for (const [, fn] of fns) fn();
  const times = new Map<string, number[]>(fns.map(([label]) => [label, []]));
  const start = performance.now();
  for (let round = 0; round < maxRounds && (round < minRounds || (performance.now() - start) / 1000 < minSeconds); round++) {
    for (const [label, fn] of fns) {
      const t0 = performance.now();
      fn();
      times.get(label)!.push((performance.now() - t0) / 1000);
    }
  }
  return new Map([...times].map(([label, t]) => [label, t.sort((p, q) => p - q)[Math.floor(t.length / 2)]]));
}

const { values: args } = parseArgs({ options: { sizes: { type: "string" }, batch: { type: "string" }, seq: { type: "string" } } });
const sizes = (args.sizes ?? "256,512,1024").split(",").map(Number);
const batch = Number(args.batch ?? 8);
const seq = Number(args.seq ?? 32);

const backends: [string, Backend][] = [
  ["reference", createReferenceBackend()],
  ["tfjs-wasm", await createTfjsBackendOn({ device: "wasm" })],
  ["tfjs-cpu", await createTfjsBackendOn({ device: "cpu" })],
];
const unfusedWasm: [string, Backend] = ["tfjs-wasm unfused", await createTfjsBackendOn({ device: "wasm", unfused: true })];

function on<T>(backend: Backend, fn: () => T): T {
  return engine.withBackend(backend, fn);
}

// ---- GEMM: C = A B, n x n ----
for (const n of sizes) {
  const flops = 2 * n * n * n;
  const operands = backends.map(([label, backend]) => {
    const g = new Generator(n);
    return [label, on(backend, () => [randomNormal([n, n], g), randomNormal([n, n], g)])] as const;
  });
  const medians = interleavedMedians(
    operands.map(([label, [a, b]]) => [label, () => on(a.backend, () => matmul(a, b).dispose())]),
    { minRounds: 3, minSeconds: 3 },
  );
  const reference = medians.get("reference")!;
  for (const [label, [a, b]] of operands) {
    const seconds = medians.get(label)!;
    console.log(JSON.stringify({ bench: "gemm", n, backend: label, gflops: +(flops / seconds / 1e9).toFixed(2), ms: +(seconds * 1000).toFixed(1), vsReference: +(reference / seconds).toFixed(2) }));
    a.dispose();
    b.dispose();
  }
}

// ---- one training step of the tiny-LM example's model (forward, backward, clipping, AdamW) ----
const text = readFileSync(fileURLToPath(new URL("../examples/data/arithmetic.txt", import.meta.url)), "utf8");
const tokenizer = CharTokenizer.fromText(text);
const ids = tokenizer.encode(text);
const rng = new Generator(1);
const inputs = new Int32Array(batch * seq);
const targets = new Int32Array(batch * seq);
for (let b = 0; b < batch; b++) {
  const start = rng.int(ids.length - seq - 1);
  for (let s = 0; s < seq; s++) {
    inputs[b * seq + s] = ids[start + s];
    targets[b * seq + s] = ids[start + s + 1];
  }
}

const models = [...backends, unfusedWasm].map(([label, backend]) =>
  on(backend, () => {
    const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 128, maxSeqLen: 64, seed: 0 });
    const params = model.namedParameters();
    const optimizer = new AdamW(params, { lr: 1e-3, weightDecay: 0.1, beta2: 0.95 });
    const step = (): void =>
      on(backend, () => {
        const loss = tidy(() => {
          const { value, grads } = valueAndGradsOf(() => model.loss(tensor(inputs, [batch, seq]), tensor(targets, [batch, seq])), [...params.values()]);
          optimizer.step(clipGradNorm(grads, 1).grads);
          return value as Tensor;
        });
        loss.dataSync();
        loss.dispose();
      });
    return { label, backend, model, optimizer, step };
  }),
);
// Forward only (inference): fused kernels save their dispatches here. In training, core takes a fused
// kernel's gradient as the VJP of its composed fallback, which recomputes that forward.
const forwardMedians = interleavedMedians(
  models.map(({ label, model, backend }) => [label, () => on(backend, () => tidy(() => model.forward(tensor(inputs, [batch, seq]))).dispose())]),
  { minRounds: 5, minSeconds: 4 },
);
const referenceForward = forwardMedians.get("reference")!;
for (const { label } of models) {
  const seconds = forwardMedians.get(label)!;
  console.log(JSON.stringify({ bench: "forward", tokens: batch * seq, backend: label, ms: +(seconds * 1000).toFixed(1), tokensPerSecond: Math.round((batch * seq) / seconds), vsReference: +(referenceForward / seconds).toFixed(2) }));
}

const stepMedians = interleavedMedians(models.map(({ label, step }) => [label, step]), { minRounds: 3, minSeconds: 6 });
const referenceStep = stepMedians.get("reference")!;
for (const { label, model, optimizer } of models) {
  const seconds = stepMedians.get(label)!;
  console.log(
    JSON.stringify({
      bench: "train-step",
      model: `tiny-LM ${model.numParameters()} params`,
      tokens: batch * seq,
      backend: label,
      ms: +(seconds * 1000).toFixed(1),
      tokensPerSecond: Math.round((batch * seq) / seconds),
      vsReference: +(referenceStep / seconds).toFixed(2),
    }),
  );
  optimizer.dispose();
  model.dispose();
}
