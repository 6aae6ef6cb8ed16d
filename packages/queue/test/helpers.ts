/** Shared pieces of the queue tests: a toy GRPO problem, and its trainer on any rollout engine. */
import { GRPOTrainer, type GrpoConfig, type RolloutEngine, TransformerLM, createRewardRunner, defineReward } from "@r1ts/core";

// Vocab: 0 = EOS, 1 = "?", 2..5 = "a".."d". The reward is 1 when the completion starts with "c".
export const VOCAB = ["<eos>", "?", "a", "b", "c", "d"];
export const tokenizer = {
  encode: (text: string) => Array.from(text).map((ch) => VOCAB.indexOf(ch)),
  decode: (ids: number[]) => ids.map((i) => VOCAB[i]).join(""),
};
export const pickC = defineReward({ name: "pick-c", score: (batch) => batch.completions.map((c) => (c.startsWith("c") ? 1 : 0)) });

export const MODEL = { vocabSize: VOCAB.length, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 12, seed: 0 };

const PROMPTS = ["?", "??", "?a", "?b?"];

export function toyModel(): TransformerLM {
  return new TransformerLM(MODEL);
}

export function toyTrainer(config: Partial<GrpoConfig> = {}, model = toyModel(), rolloutEngine?: RolloutEngine) {
  const trainer = new GRPOTrainer({
    model,
    tokenizer,
    eosTokenId: 0,
    rewards: createRewardRunner([{ reward: pickC }]),
    prompts: (rng) => ({ prompt: PROMPTS[rng.int(PROMPTS.length)], columns: { answer: "c" } }),
    config: { steps: 3, promptsPerStep: 4, groupSize: 4, maxNewTokens: 4, lr: 0.03, seed: 7, ...config },
    rolloutEngine,
  });
  return { model, trainer };
}

/** Metrics without the timings. */
export const withoutTimes = (history: readonly Record<string, number>[]) =>
  history.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.endsWith("Seconds"))));
