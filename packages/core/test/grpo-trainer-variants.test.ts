/**
 * The GRPO trainer's variants end to end on the toy problem of grpo-trainer.test.ts (reward 1 exactly
 * when the one-token answer is "c"): every option trains there, and each does what it says in the
 * step's metrics, the weights or the checkpoints. The formulas themselves are tested on golden batches
 * in grpo-loss-variants.test.ts and advantage-estimators.test.ts.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  GRPOTrainer, type GrpoConfig, GrpoConfigError, TransformerLM, createRewardRunner, defineReward, loadCheckpoint, memory, mergeAdapterTensors, splitTrainerWeights, tensor, tidy,
} from "../src/index.ts";
import { VOCAB, pickC, tokenizer } from "./grpo-toy.ts";

const short = defineReward({ name: "short", score: (batch) => batch.completions.map((c) => (c.length <= 1 ? 1 : 0)) });
const MODEL = { vocabSize: VOCAB.length, dim: 16, nLayers: 2, nHeads: 2, interDim: 32, maxSeqLen: 8 };

function makeTrainer(config: Partial<GrpoConfig> = {}, seed = 0, modelOptions: { initStd?: number } = {}) {
  const model = new TransformerLM({ ...MODEL, ...modelOptions, seed });
  const trainer = new GRPOTrainer({
    model, tokenizer, eosTokenId: 0,
    rewards: createRewardRunner([{ reward: pickC }, { reward: short, weight: 0.5 }]),
    prompts: () => ({ prompt: "?", columns: {} }),
    config: { steps: 30, promptsPerStep: 4, groupSize: 8, maxNewTokens: 2, lr: 0.03, seed: 7, ...config },
  });
  return { model, trainer };
}

async function run(config: Partial<GrpoConfig>, seed = 0, modelOptions: { initStd?: number } = {}) {
  const { model, trainer } = makeTrainer(config, seed, modelOptions);
  const history = await trainer.train();
  return { model, trainer, history, done: () => { trainer.dispose(); model.dispose(); } };
}

const mean = (h: Record<string, number>[], key: string) => h.reduce((a, m) => a + m[key], 0) / h.length;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("every GRPO variant trains the toy policy", () => {
  const variants: [string, Partial<GrpoConfig>, { initStd?: number; seed?: number }?][] = [
    ["GSPO: sequence-level importance weights", { importanceSampling: "sequence", numIterations: 2 }],
    ["CISPO", { policyLoss: "cispo", epsilonHigh: 4, numIterations: 2 }],
    ["two-sided clip delta", { delta: 1.5, numIterations: 2 }],
    ["TIS, token_truncate", { rolloutCorrection: "token_truncate" }],
    ["TIS, sequence_mask", { rolloutCorrection: "sequence_mask", rolloutCorrectionCap: 2 }],
    ["k1 KL in the loss", { beta: 0.02, klEstimator: "k1" }],
    ["k2 KL in the reward", { beta: 0.02, klEstimator: "k2", klIn: "reward" }],
    ["RLOO", { advantageEstimator: "rloo" }],
    ["REINFORCE++ (KL in the reward: per-token returns)", { advantageEstimator: "reinforce++", beta: 0.01, klIn: "reward" }],
    ["REINFORCE++ baseline", { advantageEstimator: "reinforce++_baseline" }],
    ["normalize_then_sum", { rewardAggregation: "normalize_then_sum" }],
    ["entropy mask 0.5 and an entropy bonus", { topEntropyQuantile: 0.5, entropyCoef: 0.01 }],
    ["dynamic sampling", { dynamicSampling: true }],
    ["reference sync", { beta: 0.02, refSyncSteps: 5, refMixupAlpha: 0.6 }],
    // The base model's tied embeddings are tiny at initStd 0.02 and LoRA leaves them (and the final norm)
    // frozen, which bounds every logit near 0.3: the adapted model needs a base with room to move.
    ["LoRA", { lora: { r: 4, alpha: 8, targetModules: "all-linear" }, lr: 0.05 }, { initStd: 0.3, seed: 1 }],
  ];
  for (const [name, config, modelOptions] of variants) {
    it(name, async () => {
      const before = memory().numTensors;
      const r = await run(config, modelOptions?.seed ?? 0, modelOptions);
      const last = mean(r.history.slice(-5), "rewards/pick-c/mean");
      expect(mean(r.history.slice(0, 3), "rewards/pick-c/mean")).toBeLessThan(0.6);
      expect(last).toBeGreaterThan(0.8);
      for (const m of r.history) for (const [k, v] of Object.entries(m)) expect(Number.isFinite(v), `${k} = ${v}`).toBe(true);
      r.done();
      expect(memory().numTensors).toBe(before);
    }, 60_000);
  }
});

describe("what each option does", () => {
  it("log-probs are taken at the sampling temperature: the sampler's and the trainer's agree at T = 0.6", async () => {
    const r = await run({ steps: 2, temperature: 0.6, rolloutCorrection: "token_truncate" });
    for (const m of r.history) {
      expect(m["sampling/sampling_logp_difference/max"]).toBeLessThan(1e-4);
      expect(m["sampling/importance_sampling_ratio/min"]).toBeGreaterThan(0.9999);
      expect(m["sampling/importance_sampling_ratio/max"]).toBeLessThan(1.0001);
    }
    r.done();
  });

  it("dynamic sampling drops zero-variance groups, refills, and reports the counts", async () => {
    const r = await run({ steps: 12, dynamicSampling: true, maxSamplingRounds: 3, samplingOversample: 1.5 });
    const totalDropped = r.history.reduce((a, m) => a + m["dynamic_sampling/dropped_groups"], 0);
    expect(totalDropped).toBeGreaterThan(0);
    for (const m of r.history) {
      // The 4 trained groups (informative, or zero-variance ones filling in) plus the groups left out.
      expect(m["dynamic_sampling/generated_groups"]).toBe(4 + m["dynamic_sampling/dropped_groups"] + m["dynamic_sampling/surplus_groups"]);
      // Unless a round ran out, every trained group carries signal.
      if (m["dynamic_sampling/filled_groups"] === 0) expect(m.frac_reward_zero_std).toBe(0);
      expect(m["dynamic_sampling/rounds"]).toBeGreaterThanOrEqual(1);
      expect(m["dynamic_sampling/rounds"]).toBeLessThanOrEqual(3);
    }
    r.done();
  });

  it("refSyncSteps 1 with alpha 1 keeps the reference equal to the policy: the KL is 0 at every step", async () => {
    const synced = await run({ steps: 6, beta: 0.05, refSyncSteps: 1, refMixupAlpha: 1 });
    for (const m of synced.history) expect(m.kl).toBeCloseTo(0, 6);
    const frozen = await run({ steps: 6, beta: 0.05 });
    const mixed = await run({ steps: 6, beta: 0.05, refSyncSteps: 1, refMixupAlpha: 0.5 });
    expect(frozen.history.at(-1)!.kl).toBeGreaterThan(mixed.history.at(-1)!.kl);
    expect(mixed.history.at(-1)!.kl).toBeGreaterThan(0);
    for (const r of [synced, frozen, mixed]) r.done();
  });

  it("the KL in the reward is reported and enters the advantages, not the loss", async () => {
    const inReward = await run({ steps: 6, beta: 0.1, klIn: "reward" });
    const none = await run({ steps: 6, beta: 0 });
    // Step 0: policy = reference, KL 0: the same update as without KL.
    expect(inReward.history[0].loss).toBeCloseTo(none.history[0].loss, 6);
    expect(inReward.history.at(-1)!.kl).toBeGreaterThan(0);
    for (const r of [inReward, none]) r.done();
  });

  it("gradient checkpointing gives the same run", async () => {
    const strip = (h: Record<string, number>[]) => h.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.endsWith("Seconds"))));
    const plain = await run({ steps: 4 });
    const ckpt = await run({ steps: 4, gradientCheckpointing: true });
    expect(strip(ckpt.history)).toEqual(strip(plain.history));
    expect(ckpt.model.model.gradientCheckpointing).toBe(true);
    ckpt.trainer.dispose();
    expect(ckpt.model.model.gradientCheckpointing).toBe(false);
    ckpt.model.dispose();
    plain.done();
  });

  it("LoRA: only the adapters train; a checkpoint resumes exactly and loads as the merged policy", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-grpo-lora-"));
    dirs.push(dir);
    const config: Partial<GrpoConfig> = { steps: 4, lora: { r: 2, targetModules: ["q_proj", "v_proj", "down_proj"] }, beta: 0.02, numIterations: 2 };
    const strip = (h: Record<string, number>[]) => h.map((m) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.endsWith("Seconds"))));
    const straight = makeTrainer(config);
    const baseBefore = await straight.model.stateDict();
    const expected = strip(await straight.trainer.train());
    const baseAfter = await straight.model.stateDict();
    for (const [k, t] of Object.entries(baseBefore)) expect(Array.from(baseAfter[k].data), k).toEqual(Array.from(t.data));
    expect(straight.trainer.lora!.numParameters()).toBeLessThan(straight.model.numParameters() / 4);
    straight.trainer.dispose();
    straight.model.dispose();

    const first = makeTrainer({ ...config, steps: 2 });
    await first.trainer.train();
    await first.trainer.save(dir, { note: "test" });
    const probe = tensor(Int32Array.from([1, 4]), [1, 2], "i32");
    const adaptedLogits = Array.from(tidy(() => first.model.forward(probe)).dataSync());
    first.trainer.dispose();
    first.model.dispose();

    // The checkpoint: base weights, adapters under PEFT's names, the LoRA options in trainer_state.json.
    const ckpt = await loadCheckpoint(dir);
    const { adapters } = splitTrainerWeights(ckpt.weights);
    expect(Object.keys(adapters)).toContain("model.layers.0.self_attn.q_proj.lora_A.weight");
    expect(ckpt.trainerState?.lora).toMatchObject({ r: 2 });
    const resumed = makeTrainer(config, 99);
    await resumed.trainer.resume(dir);
    expect(strip(await resumed.trainer.train())).toEqual(expected);
    resumed.trainer.dispose();
    resumed.model.dispose();

    // Read as a plain model, the checkpoint is the merged policy.
    const plain = new TransformerLM({ ...MODEL, seed: 5 });
    const { policy } = splitTrainerWeights(ckpt.weights);
    plain.loadStateDict(policy);
    mergeAdapterTensors(plain, ckpt.trainerState?.lora, adapters, "test");
    const merged = Array.from(tidy(() => plain.forward(probe)).dataSync());
    merged.forEach((v, i) => expect(v).toBeCloseTo(adaptedLogits[i], 5));
    plain.dispose();
    probe.dispose();
  }, 60_000);

  it("a LoRA trainer saves a PEFT adapter folder and merges into the model", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-grpo-adapter-"));
    dirs.push(dir);
    const r = await run({ steps: 3, lora: { r: 2 } });
    await r.trainer.saveAdapters(join(dir, "adapter"));
    expect((await readdir(join(dir, "adapter"))).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
    const probe = tensor(Int32Array.from([1, 4]), [1, 2], "i32");
    const adapted = Array.from(tidy(() => r.model.forward(probe)).dataSync());
    r.trainer.mergeAdapters();
    expect([...r.model.namedParameters().keys()].some((k) => k.includes("lora"))).toBe(false);
    Array.from(tidy(() => r.model.forward(probe)).dataSync()).forEach((v, i) => expect(v).toBeCloseTo(adapted[i], 5));
    probe.dispose();
    r.done();
    const full = makeTrainer({ steps: 1 });
    await expect(full.trainer.saveAdapters(dir)).rejects.toThrow(/trains no LoRA adapters/);
    full.trainer.dispose();
    full.model.dispose();
  });

  it("rejects inconsistent options, naming them", () => {
    expect(() => makeTrainer({ delta: 1.1 })).toThrow(/grpo.delta must be greater than 1 \+ epsilonHigh/);
    expect(() => makeTrainer({ advantageEstimator: "rloo", scaleRewards: "batch" })).toThrow(/scaleRewards applies to advantageEstimator "grpo" only/);
    expect(() => makeTrainer({ dynamicSampling: true, groupSize: 1 })).toThrow(/dynamicSampling needs groupSize >= 2/);
    expect(() => makeTrainer({ importanceSampling: "word" as never })).toThrow(/grpo.importanceSampling must be one of token, sequence/);
    expect(() => makeTrainer({ klEstimator: "k4" as never })).toThrow(GrpoConfigError);
    expect(() => makeTrainer({ topEntropyQuantile: 1.5 })).toThrow(/grpo.topEntropyQuantile/);
    expect(() => makeTrainer({ lora: { r: 0 } })).toThrow(/grpo.lora.r/);
    expect(() => makeTrainer({ lora: { targetModules: ["nothing"] } })).toThrow(/match no Linear layer/);
  });
});
