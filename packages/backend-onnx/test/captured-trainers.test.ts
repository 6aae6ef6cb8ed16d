/**
 * The GRPO, SFT and distillation trainers on ONNX Runtime capture their update (forward, loss, backward,
 * accumulation over micro-batches, clipping, AdamW) as graphs, with batches padded to bucketed widths:
 * the metrics and weights equal those of the same trainers with captured updates turned off, a few
 * graphs serve every step, and an MoE model (whose routing reads back to the host) falls back to eager
 * with the reason reported.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DistillationTrainer, GRPOTrainer, type GrpoConfig, SFTTrainer, type SequenceRow, TransformerLM, type TransformerConfigInput, createRewardRunner, defineReward, engine } from "@r1ts/core";
import { createOnnxBackend } from "../src/index.ts";
import { relClose } from "./rel-close.ts";

const backend = createOnnxBackend({ intraOpThreads: 2 });
// The trainers are async: make onnx the current backend for the whole file (withBackend scopes sync code only).
let previous: typeof engine.backend;
beforeAll(() => {
  previous = engine.backend;
  engine.useBackend(backend);
});
afterAll(() => {
  engine.useBackend(previous);
  backend.destroy?.();
});


const VOCAB = ["<eos>", "?", "a", "b", "c", "d"];
const tokenizer = { encode: (text: string) => Array.from(text).map((ch) => VOCAB.indexOf(ch)), decode: (ids: number[]) => ids.map((i) => VOCAB[i]).join("") };
const pickC = defineReward({ name: "pick-c", score: (batch) => batch.completions.map((c) => (c.startsWith("c") ? 1 : 0.2 * c.length)) });

function grpo(capture: boolean, extra: Partial<GrpoConfig> = {}) {
  const model = new TransformerLM({ vocabSize: VOCAB.length, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 16, seed: 3 });
  const trainer = new GRPOTrainer({
    model, tokenizer, eosTokenId: 0,
    rewards: createRewardRunner([{ reward: pickC }]),
    prompts: () => ({ prompt: "??", columns: {} }),
    config: { steps: 3, promptsPerStep: 4, groupSize: 8, maxNewTokens: 5, lr: 0.03, seed: 7, beta: 0.04, numIterations: 2, lossType: "dapo", microBatchSize: 16, maxGradNorm: 1, ...extra },
  });
  trainer.captureUpdates = capture;
  return { model, trainer };
}

describe("trainers with captured updates on onnx", () => {
  it("GRPO (2 micro-batches, numIterations 2, beta > 0, dapo): captured = eager updates, a few graphs", async () => {
    {
      const eager = grpo(false);
      const captured = grpo(true);
      const a = await eager.trainer.train();
      const b = await captured.trainer.train();
      for (let s = 0; s < 3; s++) {
        for (const key of ["reward", "loss", "kl", "grad_norm", "entropy", "clip_ratio/region_mean"]) expect(b[s][key], `${key} of step ${s}`).toBeCloseTo(a[s][key], 4);
      }
      const pa = eager.model.parameters();
      captured.model.parameters().forEach((p, i) => relClose(p.dataSync(), pa[i].dataSync(), 1e-5));
      const report = captured.trainer.captureReport();
      expect(report.fallbacks).toEqual({});
      const graphs = report.graphs.flatMap((s) => s.graphs);
      expect(graphs.every((g) => g.mode === "graph")).toBe(true);
      // Two keys (with and without entropy) x the widths the rollouts padded to.
      expect(graphs.length).toBeLessThanOrEqual(4);
      expect(graphs.reduce((n, g) => n + g.runs, 0)).toBe(6);
      for (const t of [eager, captured]) {
        t.trainer.dispose();
        t.model.dispose();
      }
    }
  }, 120_000);

  // The entropy mask is left out: it is a step function of the entropies, and this toy's identical prompts
  // make many tokens tie at the threshold, where float noise between the two paths flips them.
  it("GRPO variants (LoRA, GSPO, TIS, entropy bonus, REINFORCE++ with the KL in the reward, checkpointing): captured = eager", async () => {
    const extra: Partial<GrpoConfig> = {
      lora: { r: 2, targetModules: "all-linear" }, importanceSampling: "sequence", rolloutCorrection: "token_truncate",
      entropyCoef: 0.01, advantageEstimator: "reinforce++", klIn: "reward", gradientCheckpointing: true,
    };
    const eager = grpo(false, extra);
    const captured = grpo(true, extra);
    const a = await eager.trainer.train();
    const b = await captured.trainer.train();
    for (let s = 0; s < 3; s++) {
      for (const key of ["reward", "loss", "kl", "grad_norm", "entropy", "sampling/importance_sampling_ratio/mean"]) expect(b[s][key], `${key} of step ${s}`).toBeCloseTo(a[s][key], 4);
    }
    const pa = eager.trainer.lora!.parameters();
    captured.trainer.lora!.parameters().forEach((p, i) => relClose(p.dataSync(), pa[i].dataSync(), 1e-5));
    const report = captured.trainer.captureReport();
    expect(report.fallbacks).toEqual({});
    expect(report.graphs.flatMap((g) => g.graphs).every((g) => g.mode === "graph")).toBe(true);
    for (const t of [eager, captured]) {
      t.trainer.dispose();
      t.model.dispose();
    }
  }, 120_000);

  it("GRPO on stale rollouts (maxStaleness 1): the importance correction is captured too, = eager", async () => {
    const eager = grpo(false, { maxStaleness: 1, numIterations: 1, beta: 0 });
    const captured = grpo(true, { maxStaleness: 1, numIterations: 1, beta: 0 });
    const a = await eager.trainer.train();
    const b = await captured.trainer.train();
    // Step 0 is sampled by the policy it trains; steps 1 and 2 by the one before: their ratios are not all 1.
    expect(a[2]["sampling/importance_sampling_ratio/max"]).toBeGreaterThan(1);
    for (let s = 0; s < 3; s++) {
      for (const key of ["loss", "grad_norm", "sampling/importance_sampling_ratio/mean", "sampling/importance_sampling_ratio/min", "sampling/importance_sampling_ratio/max"]) expect(b[s][key], `${key} of step ${s}`).toBeCloseTo(a[s][key], 4);
    }
    const pa = eager.model.parameters();
    captured.model.parameters().forEach((p, i) => relClose(p.dataSync(), pa[i].dataSync(), 1e-5));
    expect(captured.trainer.captureReport().fallbacks).toEqual({});
    for (const t of [eager, captured]) {
      t.trainer.dispose();
      t.model.dispose();
    }
  }, 120_000);

  const ROWS: SequenceRow[] = [2, 3, 4, 5].map((k) => ({ prompt: [1, k], completion: [k + 4, 0] }));
  const sft = (config: TransformerConfigInput, capture: boolean) => {
    const model = new TransformerLM(config);
    const trainer = new SFTTrainer(model, ROWS, { steps: 3, batchSize: 8, gradientAccumulation: 2, lr: 0.02, seed: 1, maxGradNorm: 1 });
    trainer.captureUpdates = capture;
    return { model, trainer };
  };

  it("SFT with gradient accumulation: captured = eager, one graph for every step", async () => {
    {
      const config = { vocabSize: 10, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed: 0 };
      const eager = sft(config, false);
      const captured = sft(config, true);
      const a = await eager.trainer.train();
      const b = await captured.trainer.train();
      b.forEach((m, s) => {
        expect(m.loss).toBeCloseTo(a[s].loss, 5);
        expect(m.gradNorm).toBeCloseTo(a[s].gradNorm, 4);
      });
      const pa = eager.model.parameters();
      captured.model.parameters().forEach((p, i) => relClose(p.dataSync(), pa[i].dataSync(), 1e-5));
      const graphs = captured.trainer.captureReport().graphs.flatMap((s) => s.graphs);
      expect(graphs).toHaveLength(1);
      expect(graphs[0].runs).toBe(3);
      for (const t of [eager, captured]) {
        t.trainer.dispose();
        t.model.dispose();
      }
    }
  }, 60_000);

  it("distillation (teacher forward, CE + T^2 KL) with gradient accumulation: captured = eager, one graph for every step", async () => {
    const teacher = new TransformerLM({ vocabSize: 10, dim: 24, nLayers: 2, nHeads: 2, interDim: 48, maxSeqLen: 8, seed: 5 });
    const run = async (capture: boolean) => {
      const model = new TransformerLM({ vocabSize: 10, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed: 0 });
      const trainer = new DistillationTrainer(model, teacher, ROWS, { steps: 3, batchSize: 8, gradientAccumulation: 2, lr: 0.02, seed: 1, maxGradNorm: 1, klWeight: 0.5, temperature: 2 });
      trainer.captureUpdates = capture;
      return { model, trainer, history: await trainer.train() };
    };
    const eager = await run(false);
    const captured = await run(true);
    captured.history.forEach((m, s) => {
      for (const key of ["loss", "ce", "kl", "gradNorm"] as const) expect(m[key], `${key} of step ${s}`).toBeCloseTo(eager.history[s][key], 4);
    });
    expect(eager.history[0].kl).toBeGreaterThan(0);
    const pa = eager.model.parameters();
    captured.model.parameters().forEach((p, i) => relClose(p.dataSync(), pa[i].dataSync(), 1e-5));
    const report = captured.trainer.captureReport();
    expect(report.fallbacks).toEqual({});
    const graphs = report.graphs.flatMap((g) => g.graphs);
    expect(graphs).toHaveLength(1);
    expect(graphs[0]).toMatchObject({ mode: "graph", runs: 3 });
    for (const t of [eager, captured]) {
      t.trainer.dispose();
      t.model.dispose();
    }
    teacher.dispose();
  }, 60_000);

  it("distillation from an MoE teacher: the trace stops at the routing's host read, and the update runs eagerly with the reason", async () => {
    const teacher = new TransformerLM({ vocabSize: 10, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed: 5, nRoutedExperts: 4, nActivatedExperts: 2, moeInterDim: 8, nDenseLayers: 0 });
    const model = new TransformerLM({ vocabSize: 10, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed: 0 });
    const trainer = new DistillationTrainer(model, teacher, ROWS, { steps: 2, batchSize: 8, lr: 0.02, seed: 1, klWeight: 0.5, temperature: 2 });
    trainer.captureUpdates = true;
    const history = await trainer.train();
    expect(history.every((m) => Number.isFinite(m.loss) && m.kl > 0)).toBe(true);
    expect(trainer.captureReport().fallbacks.distill).toMatch(/host|read/i);
    trainer.dispose();
    model.dispose();
    teacher.dispose();
  }, 60_000);

  it("an MoE model's update is not captured (routing reads the experts back): it runs eagerly, with the reason", async () => {
    {
      const { model, trainer } = sft({ vocabSize: 10, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed: 0, nRoutedExperts: 4, nActivatedExperts: 2, moeInterDim: 8, nDenseLayers: 0 }, true);
      const history = await trainer.train();
      expect(history.every((m) => Number.isFinite(m.loss))).toBe(true);
      expect(trainer.captureReport().fallbacks.model).toMatch(/MoE routing reads the chosen experts back to the host/);
      expect(trainer.captureReport().graphs).toEqual([]);
      trainer.dispose();
      model.dispose();
    }
  }, 60_000);
});
