/**
 * Pre-trains the small base model that `r1ts demo` starts from (the bundled
 * packages/cli/assets/base-arithmetic), from scratch, with a fixed seed:
 *
 *   pnpm exec tsx examples/pretrain-base.ts              # writes packages/cli/assets/base-arithmetic (~10-25 min on 2 cores)
 *   pnpm exec tsx examples/pretrain-base.ts --out /tmp/base --stop-after 300 --backend reference
 *
 * The corpus is arithmetic problems from the task's TRAIN split only (held-out problems are never seen),
 * each in the R1-Zero prompt template, answered in one of three styles, like text found in the wild:
 *   worked  R1 format, column addition in <think> (right to left, with carries), then the answer
 *   direct  R1 format, no working ("I add the numbers."), then the answer
 *   plain   no tags at all: " The answer is 132."
 * The answers are always right; the model is small and briefly trained, so it is often wrong, mostly when
 * it answers without working. It follows the template only sometimes (plain answers score 0). GRPO with
 * accuracy + format rewards then has something real to find: the R1 format, and that working pays.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import "@r1ts/backend-tfjs";
import {
  type BpeTokenizer,
  Generator,
  SFTTrainer,
  type SequenceRow,
  TransformerLM,
  type TransformerConfigInput,
  arithmeticTask,
  type ArithmeticTaskOptions,
  r1Completion,
  saveModelBundle,
  setBackend,
  trainBpe,
  lastBackendSelection,
} from "@r1ts/core";

export const EOS_TOKEN = "<|endoftext|>";

export type BaseStyle = "worked" | "direct" | "plain";

export interface PretrainBaseOptions {
  /** Steps of the learning-rate schedule (cosine with warm-up). */
  steps?: number;
  /** Stop after this many steps of that schedule (default: all of them). */
  stopAfter?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** Problems in the corpus. */
  corpusSize?: number;
  /** Shares of the three answer styles. */
  styles?: Record<BaseStyle, number>;
  task?: ArithmeticTaskOptions;
  model?: Partial<TransformerConfigInput>;
  vocabSize?: number;
  backend?: string;
  /** Where the bundle goes (null: keep it in memory only). */
  out?: string | null;
  /** Also save bundles after these steps, to `<out>-step<N>` (to pick how weak the base should be). */
  snapshots?: number[];
  log?: (line: string) => void;
}

/**
 * The bundled base model is these defaults: a 2000-step cosine schedule from lr 6e-3, stopped after step
 * 600 on the tfjs (wasm) backend, when it answers about half of the held-out problems right (greedy).
 */
export const BASE_DEFAULTS = {
  steps: 2000,
  stopAfter: 600,
  batchSize: 32,
  lr: 6e-3,
  backend: "tfjs",
  seed: 1234,
  corpusSize: 20000,
  styles: { worked: 0.5, direct: 0.25, plain: 0.25 } as Record<BaseStyle, number>,
  task: { minDigits: 2, maxDigits: 2, operations: ["+"], heldOutFraction: 0.1, seed: 0 } as ArithmeticTaskOptions,
  vocabSize: 400,
  model: { dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 160, maxSeqLen: 80, tieEmbeddings: true },
};

export const DEFAULT_OUT = fileURLToPath(new URL("../packages/cli/assets/base-arithmetic", import.meta.url));

/** One corpus text: the templated prompt and a completion in one of the styles (EOS appended by the caller). */
export function corpusCompletion(style: BaseStyle, working: string, answer: string): string {
  if (style === "worked") return r1Completion(working, answer);
  if (style === "direct") return r1Completion("I add the numbers.", answer);
  return ` The answer is ${answer}.`;
}

export async function pretrainBase(options: PretrainBaseOptions = {}) {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as PretrainBaseOptions;
  const o = { ...BASE_DEFAULTS, ...given, model: { ...BASE_DEFAULTS.model, ...options.model }, task: { ...BASE_DEFAULTS.task, ...options.task } };
  const log = options.log ?? (() => {});
  await setBackend(o.backend);
  log(`backend: ${lastBackendSelection()?.chosen}`);
  const task = arithmeticTask(o.task);
  const rng = new Generator(o.seed);
  const styles = Object.entries(o.styles) as [BaseStyle, number][];
  const totalShare = styles.reduce((a, [, w]) => a + w, 0);
  const pickStyle = (): BaseStyle => {
    let u = rng.uniform() * totalShare;
    for (const [s, w] of styles) if ((u -= w) < 0) return s;
    return styles[styles.length - 1][0];
  };
  const texts = Array.from({ length: o.corpusSize }, () => {
    const p = task.sampleTrain(rng);
    return { prompt: p.prompt, completion: corpusCompletion(pickStyle(), task.working(p), p.answer) };
  });
  const tokenizer: BpeTokenizer = trainBpe(
    texts.map((t) => t.prompt + t.completion),
    { vocabSize: o.vocabSize, specialTokens: [EOS_TOKEN] },
  );
  const eos = tokenizer.tokenToId(EOS_TOKEN)!;
  const rows: SequenceRow[] = texts.map((t) => ({ prompt: tokenizer.encode(t.prompt), completion: [...tokenizer.encode(t.completion), eos] }));
  const longest = Math.max(...rows.map((r) => r.prompt.length + r.completion.length));
  log(`corpus: ${rows.length} problems, tokenizer ${tokenizer.vocabSize} tokens, prompt ${rows[0].prompt.length} tokens, longest row ${longest} tokens`);

  const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, seed: o.seed, ...o.model } as TransformerConfigInput);
  const trainer = new SFTTrainer(model, rows, {
    steps: o.steps, batchSize: o.batchSize, lr: o.lr, minLr: o.lr / 10, warmupSteps: Math.min(50, Math.floor(o.steps / 10)),
    schedule: "cosine", weightDecay: 0.1, maxGradNorm: 1, includePrompt: true, seed: o.seed + 1, padId: eos,
  });
  log(`model: ${model.numParameters()} parameters; ${o.stopAfter} steps (of a ${o.steps}-step schedule) of ${o.batchSize} problems`);
  trainer.hooks.afterStep.tap("pretrain-log", ({ step, metrics }) => {
    if (step % 25 === 0 || step === o.stopAfter - 1) log(`step ${step}  loss ${metrics.loss.toFixed(4)}  ${metrics.tokensPerSecond.toFixed(0)} tok/s`);
  });
  const extra = () => ({
    task: { name: "arithmetic", ...o.task },
    // How `r1ts eval` scores this model by default (the rewards are @r1ts/rewards').
    evaluation: { rewards: ["accuracy", "format"], correctness: "accuracy", format: "format" },
    pretraining: { script: "examples/pretrain-base.ts", backend: o.backend, scheduleSteps: o.steps, stopAfter: o.stopAfter, batchSize: o.batchSize, lr: o.lr, seed: o.seed, corpusSize: o.corpusSize, styles: o.styles },
  });
  trainer.hooks.afterStep.tapPromise("pretrain-snapshots", async ({ step }) => {
    if (o.out && o.snapshots?.includes(step + 1)) await saveModelBundle(`${o.out}-step${step + 1}`, model, tokenizer, EOS_TOKEN, extra());
  });
  trainer.hooks.afterStep.tap("pretrain-stop", ({ step, control }) => {
    if (step + 1 >= o.stopAfter) control.requestStop(`stopAfter ${o.stopAfter}`);
  });
  const started = performance.now();
  await trainer.train();
  const seconds = (performance.now() - started) / 1000;
  trainer.dispose();
  if (o.out) {
    await saveModelBundle(o.out, model, tokenizer, EOS_TOKEN, extra());
    log(`saved ${o.out} (${seconds.toFixed(0)} s)`);
  }
  return { model, tokenizer, eosTokenId: eos, task, losses: trainer.history.map((h) => h.loss), seconds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { steps: { type: "string" }, "stop-after": { type: "string" }, out: { type: "string" }, backend: { type: "string" }, lr: { type: "string" }, batch: { type: "string" } } });
  const result = await pretrainBase({
    steps: values.steps ? Number(values.steps) : undefined,
    stopAfter: values["stop-after"] ? Number(values["stop-after"]) : undefined,
    lr: values.lr ? Number(values.lr) : undefined,
    batchSize: values.batch ? Number(values.batch) : undefined,
    backend: values.backend,
    out: values.out ?? DEFAULT_OUT,
    log: console.log,
  });
  result.model.dispose();
}
