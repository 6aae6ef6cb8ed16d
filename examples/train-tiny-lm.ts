/**
 * Proof that the stack trains: a small TransformerLM (dim 64, 2 layers, 4 query heads sharing 2 kv heads)
 * learns character-level arithmetic lines (`12+7=19`, examples/data/arithmetic.txt) with AdamW, a cosine
 * schedule with warm-up and gradient clipping, saves a checkpoint and prints greedy samples.
 *
 *   pnpm train-example                         # the default run: 400 steps, ~75 s on 2 cores (reference backend)
 *   pnpm train-example --steps 50 --backend reference
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import "@r1ts/backend-tfjs"; // registers the "tfjs" backend, so `--backend tfjs` works
import "@r1ts/backend-webgpu"; // registers the "webgpu" backend, so `--backend webgpu` works
import {
  AdamW,
  CharTokenizer,
  Generator,
  type Tensor,
  TransformerLM,
  type TransformerConfigInput,
  argmax,
  checkpointPath,
  clipGradNorm,
  cosineSchedule,
  dispose,
  lastBackendSelection,
  reshape,
  saveCheckpoint,
  setBackend,
  slice,
  tensor,
  tidy,
  valueAndGradsOf,
} from "@r1ts/core";

export interface TrainTinyLmOptions {
  steps?: number;
  /** A registered backend name, or "auto". */
  backend?: string;
  batchSize?: number;
  seqLen?: number;
  lr?: number;
  minLr?: number;
  warmupSteps?: number;
  maxGradNorm?: number;
  seed?: number;
  /** The run directory; the checkpoint goes to `<runDir>/checkpoints/step-N`. Null: save nothing. */
  runDir?: string | null;
  /** Log every this many steps (0: quiet). */
  logEvery?: number;
  /** Prompts completed greedily after training. */
  prompts?: string[];
  model?: Partial<TransformerConfigInput>;
}

export interface TrainTinyLmResult {
  /** Loss of every step (before that step's update). */
  losses: number[];
  wallSeconds: number;
  tokensPerSecond: number;
  samples: { prompt: string; completion: string }[];
  checkpointDir: string | undefined;
  numParameters: number;
}

const DATA = fileURLToPath(new URL("./data/arithmetic.txt", import.meta.url));

/** Random windows of the token stream: inputs [B, S] and next-token targets [B, S], from a seeded generator. */
function sampleBatch(ids: readonly number[], batchSize: number, seqLen: number, rng: Generator): { inputs: Int32Array; targets: Int32Array } {
  const inputs = new Int32Array(batchSize * seqLen);
  const targets = new Int32Array(batchSize * seqLen);
  for (let b = 0; b < batchSize; b++) {
    const start = rng.int(ids.length - seqLen - 1);
    for (let s = 0; s < seqLen; s++) {
      inputs[b * seqLen + s] = ids[start + s];
      targets[b * seqLen + s] = ids[start + s + 1];
    }
  }
  return { inputs, targets };
}

/** Completes `prompt` one argmax token at a time (full forward per token; a KV cache comes with generate/). */
async function greedy(model: TransformerLM, tokenizer: CharTokenizer, prompt: string, maxNew: number, stop: string): Promise<string> {
  const ids = tokenizer.encode(prompt);
  let out = "";
  for (let i = 0; i < maxNew && ids.length < model.config.maxSeqLen; i++) {
    const next = tidy(() => {
      const logits = model.forward(tensor(Int32Array.from(ids), [1, ids.length]));
      const last = reshape(slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [1, -1]);
      return argmax(last, -1);
    });
    const id = (await next.data())[0];
    next.dispose();
    const ch = tokenizer.decode([id]);
    if (ch === stop) break;
    out += ch;
    ids.push(id);
  }
  return out;
}

export async function trainTinyLm(options: TrainTinyLmOptions = {}): Promise<TrainTinyLmResult> {
  const {
    steps = 400,
    backend = "reference",
    batchSize = 8,
    seqLen = 32,
    lr = 1e-2,
    minLr = 1e-3,
    warmupSteps = Math.min(20, Math.floor(steps / 10)),
    maxGradNorm = 1,
    seed = 0,
    runDir = "runs/tiny-lm",
    logEvery = Math.max(1, Math.round(steps / 20)),
    prompts = ["12+7=", "45+45=", "3+98=", "60+21="],
  } = options;
  const log = (line: string): void => {
    if (logEvery > 0) console.log(line);
  };

  await setBackend(backend);
  log(`backend: ${lastBackendSelection()?.chosen}`);
  const text = readFileSync(DATA, "utf8");
  const tokenizer = CharTokenizer.fromText(text);
  const ids = tokenizer.encode(text);

  const model = new TransformerLM({
    vocabSize: tokenizer.vocabSize,
    dim: 64,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    interDim: 128,
    maxSeqLen: 64,
    seed,
    ...options.model,
  });
  const params = model.namedParameters();
  // Decay only the matrices (not norms' gains), as in GPT-2/Llama training recipes.
  const optimizer = new AdamW(params, { lr, weightDecay: 0.1, beta2: 0.95, decay: (_name, p) => p.rank >= 2 });
  const schedule = cosineSchedule({ lr, minLr, warmupSteps, totalSteps: steps });
  const dataRng = new Generator(seed + 1);
  log(`model: ${model.numParameters()} parameters, vocab ${tokenizer.vocabSize}; data: ${ids.length} tokens; ${steps} steps of ${batchSize}x${seqLen} tokens`);

  const losses: number[] = [];
  const started = performance.now();
  let windowStart = started;
  let windowTokens = 0;
  let windowLoss = 0;
  let windowSteps = 0;
  for (let step = 0; step < steps; step++) {
    const batch = sampleBatch(ids, batchSize, seqLen, dataRng);
    const [loss, norm] = tidy(() => {
      const inputs = tensor(batch.inputs, [batchSize, seqLen]);
      const targets = tensor(batch.targets, [batchSize, seqLen]);
      const { value, grads } = valueAndGradsOf(() => model.loss(inputs, targets), [...params.values()]);
      const clipped = clipGradNorm(grads, maxGradNorm);
      optimizer.step(clipped.grads, { lr: schedule(step) });
      return [value, clipped.totalNorm] as [Tensor, Tensor];
    });
    const [lossValue] = await loss.data();
    const [normValue] = await norm.data();
    dispose([loss, norm]);
    losses.push(lossValue);
    windowTokens += batchSize * seqLen;
    windowLoss += lossValue;
    windowSteps++;
    if (logEvery > 0 && (step % logEvery === 0 || step === steps - 1)) {
      const now = performance.now();
      const tps = (windowTokens / (now - windowStart)) * 1000;
      const mean = windowLoss / windowSteps;
      log(`step ${String(step).padStart(4)}  loss ${lossValue.toFixed(4)} (mean since last log ${mean.toFixed(4)})  grad-norm ${normValue.toFixed(3)}  lr ${schedule(step).toExponential(2)}  ${tps.toFixed(0)} tok/s`);
      windowStart = now;
      windowTokens = 0;
      windowLoss = 0;
      windowSteps = 0;
    }
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const tokensPerSecond = (steps * batchSize * seqLen) / wallSeconds;
  log(`trained ${steps} steps in ${wallSeconds.toFixed(1)} s (${tokensPerSecond.toFixed(0)} tok/s): loss ${losses[0]?.toFixed(4)} -> ${losses[losses.length - 1]?.toFixed(4)}`);

  let checkpointDir: string | undefined;
  if (runDir !== null) {
    checkpointDir = checkpointPath(runDir, steps);
    await saveCheckpoint(checkpointDir, {
      weights: await model.stateDict(),
      config: { model: model.config, tokenizer: tokenizer.toJSON() },
      optimizer: await optimizer.state(),
      trainerState: { step: steps, dataRng: dataRng.getState(), losses },
    });
    log(`checkpoint: ${checkpointDir}`);
  }

  const samples: { prompt: string; completion: string }[] = [];
  for (const prompt of prompts) {
    const completion = await greedy(model, tokenizer, prompt, 6, "\n");
    samples.push({ prompt, completion });
    log(`sample: ${prompt}${completion}`);
  }

  const numParameters = model.numParameters();
  optimizer.dispose();
  model.dispose();
  return { losses, wallSeconds, tokensPerSecond, samples, checkpointDir, numParameters };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { steps: { type: "string" }, backend: { type: "string" }, out: { type: "string" } },
    allowPositionals: false,
  });
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  if (steps !== undefined && (!Number.isSafeInteger(steps) || steps <= 0)) {
    console.error(`--steps must be a positive integer, got ${values.steps}`);
    process.exit(2);
  }
  await trainTinyLm({ steps, backend: values.backend, runDir: values.out });
}
