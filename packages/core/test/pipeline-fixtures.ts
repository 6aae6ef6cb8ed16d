/**
 * Fixtures of the pipeline tests: a tiny model bundle (a BPE tokenizer learnt on the arithmetic task's
 * R1-Zero prompts, so a prompt is a few tokens) and two rewards that behave like accuracy and format.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Generator, TransformerLM, arithmeticTask, defineReward, definePlugin, r1Completion, saveModelBundle, trainBpe,
} from "../src/index.ts";

export const TASK = { name: "arithmetic" as const, minDigits: 1, maxDigits: 1, operations: ["+" as const], heldOutFraction: 0.2, seed: 0 };
export const EOS = "<|endoftext|>";

/** 1 when the `<answer>` block holds the gold answer, 0 otherwise. */
export const toyAccuracy = defineReward({
  name: "accuracy",
  score: (batch) => batch.completions.map((c, i) => {
    const m = /<answer>\n?(.*?)\n?<\/answer>/s.exec(c);
    return m && m[1].trim() === String(batch.columns.answer[i]) ? 1 : 0;
  }),
});

export const toyFormat = defineReward({
  name: "format",
  score: (batch) => batch.completions.map((c) => (/^<think>\n.*?\n<\/think>\n<answer>\n.*?\n<\/answer>$/s.test(c) ? 1 : 0)),
});

export const toyRewards = definePlugin({
  name: "toy-rewards",
  version: "1.0.0",
  coreRange: "^0.1.0",
  setup(api) {
    api.registerReward(toyAccuracy);
    api.registerReward(toyFormat);
  },
});

export async function tempDir(prefix = "r1ts-pipeline-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A ~20k-parameter model bundle that knows the task's format a little (random weights, seeded). */
export async function tinyBundle(dir: string, { dim = 16, seed = 3 }: { dim?: number; seed?: number } = {}): Promise<string> {
  const task = arithmeticTask(TASK);
  const rng = new Generator(1);
  const texts = Array.from({ length: 200 }, () => {
    const p = task.sampleTrain(rng);
    return p.prompt + r1Completion(task.working(p), p.answer) + " The answer is I add the digits from the right, write carry.";
  });
  const tokenizer = trainBpe(texts, { vocabSize: 330, specialTokens: [EOS] });
  const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim, nLayers: 1, nHeads: 2, nKvHeads: 1, interDim: 2 * dim, maxSeqLen: 64, seed });
  const out = join(dir, `tiny-${dim}-${seed}`);
  await saveModelBundle(out, model, tokenizer, EOS, { task: TASK });
  model.dispose();
  return out;
}
