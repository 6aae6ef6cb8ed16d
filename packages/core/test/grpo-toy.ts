/**
 * The GRPO trainer tests' toy problem: the prompt is "?", the completion one token then EOS, and the
 * reward 1 exactly when that token is "c". The optimal policy always answers "c".
 */
import { defineReward } from "../src/index.ts";

// Vocab: 0 = EOS, 1 = "?", 2..5 = "a".."d".
export const VOCAB = ["<eos>", "?", "a", "b", "c", "d"];

export const tokenizer = {
  encode: (text: string) => Array.from(text).map((ch) => VOCAB.indexOf(ch)),
  decode: (ids: number[]) => ids.map((i) => VOCAB[i]).join(""),
};

export const pickC = defineReward({ name: "pick-c", score: (batch) => batch.completions.map((c) => (c.startsWith("c") ? 1 : 0)) });
