/**
 * One r1ts measurement in its own process (so peak RSS is this measurement's): a captured training step
 * (forward, backward, AdamW as one graph) or batched generation (captured prefill/decode), on the ONNX
 * backend by default, for a bench model. Prints one JSON line like bench/torch/llama.py, plus graph
 * counts and build times. Run by bench/vs-pytorch.ts.
 *
 *   pnpm exec tsx bench/r1ts-run.ts --mode train --model small [--backend onnx] [--steps 3] [--threads N] [--eager]
 */
import "@r1ts/backend-onnx";
import { AdamW, Generator, TransformerLM, captureStats, compileTrainingStep, dispose, generate, setBackend, tensor, tidy, valueAndGradsOf, type Tensor } from "@r1ts/core";
import { BENCH_MODELS, listFlag } from "./train-models.ts";

const args = process.argv.slice(2);
const mode = listFlag(args, "mode")?.[0] ?? "train";
const modelName = listFlag(args, "model")?.[0] ?? "small";
const backendName = listFlag(args, "backend")?.[0] ?? "onnx";
const steps = Number(listFlag(args, "steps")?.[0] ?? 3);
const rows = Number(listFlag(args, "rows")?.[0] ?? 128);
const eager = args.includes("--eager");
const threads = listFlag(args, "threads")?.[0];
const spec = BENCH_MODELS.find((m) => m.name === modelName)!;
await setBackend(backendName, threads && backendName === "onnx" ? { intraOpThreads: Number(threads) } : undefined);
const model = new TransformerLM({ ...spec.config, seed: 0 });

const graphs = () =>
  captureStats().flatMap((s) => s.graphs.map((g) => ({ fn: s.name, buildMs: Math.round(g.traceMs + g.buildMs), runs: g.runs, nodes: g.nodes, mode: g.mode })));

let result: Record<string, unknown>;
if (mode === "train") {
  const optimizer = new AdamW(model.namedParameters(), { lr: 1e-3 });
  const [b, s] = spec.trainBatch;
  const rng = new Generator(1);
  const x = tensor(Int32Array.from({ length: b * s }, () => rng.int(spec.config.vocabSize)), [b, s], "i32");
  const y = tensor(Int32Array.from({ length: b * s }, () => rng.int(spec.config.vocabSize)), [b, s], "i32");
  const captured = compileTrainingStep<{ x: Tensor; y: Tensor }>({ parameters: model.parameters(), optimizer, loss: (batch) => model.loss(batch.x, batch.y) });
  const step = (): void => {
    if (eager) {
      const loss = tidy(() => {
        const { value, grads } = valueAndGradsOf(() => model.loss(x, y), model.parameters());
        optimizer.step(grads);
        return value;
      });
      loss.dataSync();
      loss.dispose();
    } else {
      const out = captured([{ x, y }], 1e-3);
      out.loss.dataSync();
      dispose(out);
    }
  };
  const t0 = performance.now();
  step(); // warm-up: trace and graph build
  const firstStepMs = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - t1) / 1000 / steps;
  result = { tokensPerSecond: Math.round((b * s) / seconds), secondsPerStep: +seconds.toFixed(4), firstStepMs: Math.round(firstStepMs) };
} else {
  const rng = new Generator(2);
  const prompts = Array.from({ length: rows }, () => Array.from({ length: 8 }, () => 1 + rng.int(spec.config.vocabSize - 1)));
  const t0 = performance.now();
  await generate(model, prompts, { maxNewTokens: 32, temperature: 1, seed: 3, capture: !eager }); // warm-up: builds the graphs
  const firstMs = performance.now() - t0;
  const t1 = performance.now();
  const out = await generate(model, prompts, { maxNewTokens: 32, temperature: 1, seed: 3, capture: !eager });
  const seconds = (performance.now() - t1) / 1000;
  const tokens = out.completionLengths.reduce((a, n) => a + n, 0);
  result = { tokensPerSecond: Math.round(tokens / seconds), seconds: +seconds.toFixed(3), firstRunMs: Math.round(firstMs) };
}
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ bench: mode, model: modelName, framework: "r1ts", backend: backendName, threads: threads ?? "auto", eager, ...result, peakRssMiB, graphs: graphs() }));
process.exit(0);
