/**
 * The GRPO trainer end to end on a toy problem with a known optimum: the prompt is one token, the
 * completion is one token then EOS, and the reward is 1 exactly when that token is "c". The optimal
 * policy always answers "c" (expected reward 1); a uniform start gets ~1/4. GRPO must get there.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  GRPOTrainer, type GrpoConfig, TransformerLM, createRewardRunner, defineReward, memory, GrpoConfigError,
} from "../src/index.ts";
import { VOCAB, pickC, tokenizer } from "./grpo-toy.ts";

const firstIsA = defineReward({ name: "starts-a", score: (batch) => batch.completions.map((c) => (c.length === 0 ? null : c.startsWith("a") ? 1 : 0)) });

function makeTrainer(config: Partial<GrpoConfig> = {}, seed = 0) {
  const model = new TransformerLM({ vocabSize: VOCAB.length, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed });
  const trainer = new GRPOTrainer({
    model,
    tokenizer,
    eosTokenId: 0,
    rewards: createRewardRunner([{ reward: pickC }, { reward: firstIsA, weight: 0 }]),
    prompts: () => ({ prompt: "?", columns: { answer: "c" } }),
    config: { steps: 40, promptsPerStep: 4, groupSize: 8, maxNewTokens: 2, lr: 0.03, seed: 7, ...config },
  });
  return { model, trainer };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("GRPO trainer", () => {
  it("solves the toy problem: expected reward from ~0.25 to > 0.9, leaking no tensors", async () => {
    const before = memory().numTensors;
    const { model, trainer } = makeTrainer();
    const history = await trainer.train();
    const first = history.slice(0, 3).reduce((a, m) => a + m.reward, 0) / 3;
    const last = history.slice(-3).reduce((a, m) => a + m.reward, 0) / 3;
    expect(first).toBeLessThan(0.5);
    expect(last).toBeGreaterThan(0.9);
    // Once every completion is right, the groups carry no signal.
    expect(history.at(-1)!.frac_reward_zero_std).toBeGreaterThan(0.5);
    trainer.dispose();
    model.dispose();
    expect(memory().numTensors).toBe(before);
  }, 60_000);

  it("logs every metric of docs/grpo.md each step, under TRL's names", async () => {
    const { model, trainer } = makeTrainer({ steps: 1, beta: 0.04 });
    const [m] = await trainer.train();
    for (const key of [
      "reward", "reward_std", "rewards/pick-c/mean", "rewards/pick-c/std", "rewards/starts-a/mean", "frac_reward_zero_std",
      "completions/mean_length", "completions/min_length", "completions/max_length", "completions/clipped_ratio",
      "completions/mean_terminated_length", "completions/min_terminated_length", "completions/max_terminated_length", "kl", "entropy",
      "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean", "tokens", "stepSeconds", "loss", "grad_norm", "learning_rate",
    ]) expect(Number.isFinite(m[key]), key).toBe(true);
    // The policy equals the reference at the first step: k3 KL is exactly 0, and rho = 1 clips nothing.
    expect(m.kl).toBe(0);
    expect(m["clip_ratio/region_mean"]).toBe(0);
    expect(m.entropy).toBeGreaterThan(0);
    expect(m.entropy).toBeLessThanOrEqual(Math.log(VOCAB.length) + 1e-5);
    expect(trainer.lastSamples.length).toBe(4);
    trainer.dispose();
    model.dispose();
  });

  it("resumes from a checkpoint and continues exactly as if never stopped", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-grpo-"));
    dirs.push(dir);
    const config = { steps: 4, beta: 0.02, numIterations: 2 };
    const strip = (h: Record<string, number>[]) => h.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.endsWith("Seconds"))));

    const straight = makeTrainer(config);
    const expected = strip(await straight.trainer.train());
    straight.trainer.dispose();
    straight.model.dispose();

    const first = makeTrainer({ ...config, steps: 2 });
    await first.trainer.train();
    await first.trainer.save(dir, { note: "test" });
    first.trainer.dispose();
    first.model.dispose();

    const second = makeTrainer(config, 99); // different init: the checkpoint must overwrite it
    await second.trainer.resume(dir);
    expect(second.trainer.step).toBe(2);
    const resumed = strip(await second.trainer.train());
    for (let i = 0; i < 4; i++) expect(resumed[i], `step ${i}`).toEqual(expected[i]);
    second.trainer.dispose();
    second.model.dispose();
  }, 60_000);

  it("maskTruncatedCompletions: completions cut at maxNewTokens carry no loss tokens", async () => {
    // maxNewTokens 1: a completion is one token; it counts only when that token is EOS (not truncated).
    const masked = makeTrainer({ steps: 1, maxNewTokens: 1, maskTruncatedCompletions: true });
    const [m] = await masked.trainer.train();
    expect(m["completions/clipped_ratio"]).toBeGreaterThan(0.5);
    expect(m.tokens).toBe(Math.round(32 * (1 - m["completions/clipped_ratio"])));
    const plain = makeTrainer({ steps: 1, maxNewTokens: 1 });
    const [p] = await plain.trainer.train();
    expect(p["completions/clipped_ratio"]).toBe(m["completions/clipped_ratio"]);
    expect(p.tokens).toBe(32);
    for (const t of [masked, plain]) {
      t.trainer.dispose();
      t.model.dispose();
    }
  });

  // bnpo normalises by each micro-batch's own token count (as TRL does), so it is exact only when the
  // micro-batches hold equally many tokens; dapo is bnpo with the global count, and exact.
  it("micro-batches accumulate to the same update as the whole rollout batch (grpo, dr_grpo, dapo)", async () => {
    for (const lossType of ["grpo", "dr_grpo", "dapo"] as const) {
      const whole = makeTrainer({ steps: 1, lossType, beta: 0.05 });
      const split = makeTrainer({ steps: 1, lossType, beta: 0.05, microBatchSize: 8 });
      const [a] = await whole.trainer.train();
      const [b] = await split.trainer.train();
      expect(b.loss, lossType).toBeCloseTo(a.loss, 5);
      expect(b.grad_norm, lossType).toBeCloseTo(a.grad_norm, 5);
      const wa = await whole.model.stateDict();
      const wb = await split.model.stateDict();
      for (const name of Object.keys(wa)) wa[name].data.forEach((v, i) => expect(wb[name].data[i]).toBeCloseTo(v, 5));
      for (const t of [whole, split]) {
        t.trainer.dispose();
        t.model.dispose();
      }
    }
  });

  it("rejects a bad config naming the option", () => {
    expect(() => makeTrainer({ groupSize: 0 })).toThrow(GrpoConfigError);
    expect(() => makeTrainer({ lossType: "ppo" as never })).toThrow(/grpo.lossType must be one of grpo, bnpo, dr_grpo, dapo, got "ppo"/);
    expect(() => makeTrainer({ topP: 0 })).toThrow(/grpo.topP must be in \(0, 1\]/);
  });
});

describe("GRPO trainer with asynchronous rollouts (maxStaleness)", () => {
  const strip = (h: Record<string, number>[]) => h.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.endsWith("Seconds"))));

  it("k = 1: step t trains on rollouts of policy version t - 1 (lag 1 after the first step), and still learns", async () => {
    const { model, trainer } = makeTrainer({ maxStaleness: 1, steps: 40 });
    const history = await trainer.train();
    expect(history.map((m) => m.policy_lag)).toEqual([0, ...new Array(39).fill(1)]);
    expect(history.slice(-3).reduce((a, m) => a + m.reward, 0) / 3).toBeGreaterThan(0.9);
    trainer.dispose();
    model.dispose();
  }, 60_000);

  it("stale rollouts are weighted by truncated importance ratios: 1 at step 0, reported from step 1 on; none with importanceCap 0", async () => {
    const { model, trainer } = makeTrainer({ maxStaleness: 1, steps: 6, importanceCap: 1.05 });
    const history = await trainer.train();
    // Step 0 is sampled by the policy that trains on it: the ratio is 1 up to rounding.
    expect(Math.abs(history[0]["sampling/importance_sampling_ratio/mean"] - 1)).toBeLessThan(1e-4);
    expect(history[0]["sampling/importance_sampling_ratio/capped_fraction"]).toBe(0);
    for (const m of history.slice(1)) {
      expect(m["sampling/importance_sampling_ratio/min"]).toBeLessThanOrEqual(m["sampling/importance_sampling_ratio/mean"]);
      expect(m["sampling/importance_sampling_ratio/mean"]).toBeLessThanOrEqual(m["sampling/importance_sampling_ratio/max"]);
      expect(Number.isFinite(m["sampling/importance_sampling_ratio/max"])).toBe(true);
    }
    // lr 0.03 moves the toy policy far in one step: some ratios leave [1/1.05, 1.05].
    expect(history.slice(1).some((m) => m["sampling/importance_sampling_ratio/capped_fraction"] > 0)).toBe(true);
    trainer.dispose();
    model.dispose();
    const off = makeTrainer({ maxStaleness: 1, steps: 2, importanceCap: 0 });
    expect(Object.keys((await off.trainer.train())[1]).some((k) => k.startsWith("sampling/"))).toBe(false);
    off.trainer.dispose();
    off.model.dispose();
  }, 60_000);

  it("k = 2 resumes exactly: the checkpoint keeps the steps already handed out", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-grpo-async-"));
    dirs.push(dir);
    const config = { steps: 5, maxStaleness: 2 };
    const straight = makeTrainer(config);
    const expected = strip(await straight.trainer.train());
    expect(expected.map((m) => m.policy_lag)).toEqual([0, 1, 2, 2, 2]);
    straight.trainer.dispose();
    straight.model.dispose();

    const first = makeTrainer(config);
    first.trainer.hooks.afterStep.tapPromise("checkpoint", async ({ step, control }) => {
      if (step !== 1) return;
      first.trainer.step = 2;
      await first.trainer.save(dir, {});
      first.trainer.step = 1;
      control.requestStop("checkpoint of step 2 written");
    });
    await first.trainer.train();
    first.trainer.dispose();
    first.model.dispose();

    const second = makeTrainer(config, 99);
    await second.trainer.resume(dir);
    expect(second.trainer.step).toBe(2);
    expect(strip(await second.trainer.train())).toEqual(expected);
    second.trainer.dispose();
    second.model.dispose();
  }, 60_000);

  it("with dynamic sampling: round 0 comes from the schedule (stale), later rounds are sampled now; the run resumes exactly", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-grpo-async-dapo-"));
    dirs.push(dir);
    const config: Partial<GrpoConfig> = { steps: 30, maxStaleness: 1, dynamicSampling: true, maxSamplingRounds: 3, samplingOversample: 1 };
    const straight = makeTrainer(config);
    const expected = strip(await straight.trainer.train());
    straight.trainer.dispose();
    straight.model.dispose();
    expect(expected.map((m) => m.policy_lag)).toEqual([0, ...new Array(29).fill(1)]);
    // As the toy converges, whole groups answer "c": they are dropped and sampled again by the current policy.
    const resampled = expected.filter((m) => m["dynamic_sampling/rounds"] > 1);
    expect(resampled.length).toBeGreaterThan(0);
    for (const m of expected) expect(m["dynamic_sampling/generated_groups"]).toBe(m["dynamic_sampling/dropped_groups"] + m["dynamic_sampling/surplus_groups"] + 4);
    expect(expected.slice(-3).reduce((a, m) => a + m.reward, 0) / 3).toBeGreaterThan(0.5);

    const first = makeTrainer(config);
    first.trainer.hooks.afterStep.tapPromise("checkpoint", async ({ step, control }) => {
      if (step !== 14) return;
      first.trainer.step = 15;
      await first.trainer.save(dir, {});
      first.trainer.step = 14;
      control.requestStop("checkpoint of step 15 written");
    });
    await first.trainer.train();
    first.trainer.dispose();
    first.model.dispose();
    const second = makeTrainer(config, 99);
    await second.trainer.resume(dir);
    expect(strip(await second.trainer.train())).toEqual(expected);
    second.trainer.dispose();
    second.model.dispose();
  }, 60_000);
});
