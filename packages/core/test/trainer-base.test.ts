/**
 * The Trainer base, on the SFT and distillation trainers (the same lifecycle as GRPO's): logging and
 * evaluation cadence, checkpoints every N into a store keeping the last K, resume from the newest valid
 * checkpoint (a truncated newest one is reported and skipped) with losses identical to an unbroken run,
 * resume with no checkpoint from step 0, early stopping, injected hooks, checkpoints of another trainer
 * refused, and one schema per trainer: the same defaults from code and from a config.
 */
import { readdir, rm, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DirectoryCheckpointStore, DistillationTrainer, GRPOTrainer, LOSS_TYPES, SFTTrainer, SftError, type SequenceRow, TransformerLM, createTrainerHooks,
  createRewardRunner, defineReward, grpoOptionsSchema, parseRunConfig, resolveGrpoConfig,
} from "../src/index.ts";
import { tempDir } from "./pipeline-fixtures.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const ROWS: SequenceRow[] = [2, 3, 4, 5].map((k) => ({ prompt: [1, k], completion: [k + 4, 0] }));
const model = (seed = 0) => new TransformerLM({ vocabSize: 10, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 8, seed });
const losses = (t: { history: readonly { loss: number }[] }) => t.history.map((h) => h.loss);

describe("Trainer base", () => {
  it("fires onLog every logEvery steps and after the last, runs evaluators every evalEvery steps", async () => {
    const logged: number[] = [];
    const evaluated: number[] = [];
    const evals: Record<string, number>[] = [];
    const trainer = new SFTTrainer(model(), ROWS, { steps: 7, batchSize: 4, lr: 0.01, logEvery: 3, evalEvery: 2 }, ROWS, {
      evaluators: [{ name: "probe", evaluate: async (step) => (evaluated.push(step), { "eval/probe": step }) }],
    });
    trainer.hooks.onLog.tap("test", (e) => void logged.push(e.step));
    trainer.hooks.onEval.tap("test", (e) => void evals.push({ step: e.step, ...e.metrics }));
    await trainer.train();
    expect(logged).toEqual([0, 3, 6]);
    // Every evalEvery steps before the last (the caller evaluates the trained model itself).
    expect(evaluated).toEqual([2, 4, 6]);
    expect(evals.map((e) => e.step)).toEqual([2, 4, 6]);
    // SFT's own held-out loss evaluator comes first, then the injected one.
    for (const e of evals) expect(Object.keys(e)).toEqual(["step", "eval/loss", "eval/probe"]);
    trainer.dispose();
    trainer.model.dispose();
  });

  it("checkpoints every N steps into the store, keeping the newest keepCheckpoints, and the final one", async () => {
    const dir = await tempDir("r1ts-trainer-");
    dirs.push(dir);
    const store = new DirectoryCheckpointStore(dir);
    const seen: number[] = [];
    const trainer = new SFTTrainer(model(), ROWS, { steps: 7, batchSize: 4, lr: 0.01, checkpointEvery: 2, keepCheckpoints: 2 }, [], { checkpoints: store, checkpointConfig: () => ({ note: "test" }) });
    trainer.hooks.beforeCheckpoint.tap("test", (e) => {
      seen.push(e.step);
      e.metadata.by = "test";
    });
    await trainer.train();
    expect(seen).toEqual([2, 4, 6, 7]);
    expect(await readdir(join(dir, "checkpoints"))).toEqual(["step-000006", "step-000007"]);
    const ckpt = await store.load(store.location(7));
    expect(ckpt.config).toEqual({ note: "test" });
    expect(ckpt.trainerState).toMatchObject({ trainer: "sft", step: 7, metadata: { by: "test" } });
    trainer.dispose();
    trainer.model.dispose();
  });

  it("resumes from the newest valid checkpoint: a truncated newest one is reported and skipped, and the losses match an unbroken run", async () => {
    const dir = await tempDir("r1ts-trainer-");
    dirs.push(dir);
    const config = { steps: 6, batchSize: 4, lr: 0.01, seed: 5, checkpointEvery: 1, keepCheckpoints: 10 };
    const straight = new SFTTrainer(model(), ROWS, config);
    const expected = losses(await straight.train().then(() => straight));
    straight.dispose();
    straight.model.dispose();

    // An interrupted run: stopped after 4 steps, its newest checkpoint then cut short on disk.
    const first = new SFTTrainer(model(), ROWS, config, [], { checkpoints: new DirectoryCheckpointStore(dir) });
    first.hooks.afterStep.tap("stop", (e) => {
      if (e.step === 3) e.control.requestStop("interrupted");
    });
    await first.train();
    first.dispose();
    first.model.dispose();
    const store = new DirectoryCheckpointStore(dir);
    expect((await store.list()).map((c) => c.step)).toEqual([4, 3, 2, 1]);
    await truncate(join(store.location(4), "model.safetensors"), 100);

    const warnings: string[] = [];
    const second = new SFTTrainer(model(9), ROWS, config, [], { checkpoints: store, warn: (m) => warnings.push(m) });
    expect(await second.resumeLatest()).toBe(store.location(3));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/checkpoint .*step-000004 cannot be used \(.*model\.safetensors.*\); trying the one before it/);
    expect(second.step).toBe(3);
    await second.train();
    expect(losses(second)).toEqual(expected);
    second.dispose();
    second.model.dispose();
  });

  it("resumes from step 0 when the store holds no checkpoint", async () => {
    const dir = await tempDir("r1ts-trainer-");
    dirs.push(dir);
    const trainer = new SFTTrainer(model(), ROWS, { steps: 2, batchSize: 4, lr: 0.01 }, [], { checkpoints: new DirectoryCheckpointStore(dir) });
    expect(await trainer.resumeLatest()).toBeUndefined();
    expect(trainer.step).toBe(0);
    trainer.dispose();
    trainer.model.dispose();
  });

  it("accepts injected hooks (distillation too) and refuses a checkpoint of another trainer", async () => {
    const dir = await tempDir("r1ts-trainer-");
    dirs.push(dir);
    const hooks = createTrainerHooks();
    const steps: string[] = [];
    hooks.afterStep.tap("test", (e) => void steps.push(`${e.trainer}:${e.step}`));
    const student = model(1);
    const teacher = model(2);
    const distill = new DistillationTrainer(student, teacher, ROWS, { steps: 2, batchSize: 4, lr: 0.01, klWeight: 1, temperature: 1 }, { hooks });
    expect(distill.hooks).toBe(hooks);
    await distill.train();
    expect(steps).toEqual(["distill:0", "distill:1"]);
    await distill.save(join(dir, "distill"));
    const sft = new SFTTrainer(model(), ROWS, { steps: 2, batchSize: 4, lr: 0.01 });
    await expect(sft.resume(join(dir, "distill"))).rejects.toThrow(SftError);
    await expect(sft.resume(join(dir, "distill"))).rejects.toThrow(/was not written by the sft trainer \(trainer: "distill"\)/);
    for (const t of [distill, sft]) t.dispose();
    for (const m of [student, teacher, sft.model]) m.dispose();
  });
});

describe("one schema per trainer", () => {
  it("gives the same defaults from code and from a config (maxGradNorm 1 both ways)", () => {
    const sft = new SFTTrainer(model(), ROWS, { steps: 1, batchSize: 4, lr: 0.01 });
    const fromConfig = parseRunConfig({ model: { bundle: "x" }, data: { train: "t.jsonl" }, trainer: "sft", sft: { steps: 1, batchSize: 4, lr: 0.01 } });
    expect(sft.config.maxGradNorm).toBe(1);
    for (const key of Object.keys(fromConfig.sft!)) expect(fromConfig.sft![key as keyof typeof fromConfig.sft], key).toEqual(sft.config[key as keyof typeof sft.config]);
    const grpoCode = resolveGrpoConfig({ steps: 1, promptsPerStep: 1, groupSize: 2, maxNewTokens: 4, lr: 0.01 });
    const grpoConfig = parseRunConfig({ model: { bundle: "x" }, task: { name: "arithmetic" }, trainer: "grpo", rewards: ["r"], grpo: { steps: 1, promptsPerStep: 1, groupSize: 2, maxNewTokens: 4, lr: 0.01 } }).grpo!;
    expect(grpoCode.maxGradNorm).toBe(1);
    for (const key of Object.keys(grpoConfig)) expect(grpoConfig[key as keyof typeof grpoConfig], key).toEqual(grpoCode[key as keyof typeof grpoCode]);
    sft.dispose();
    sft.model.dispose();
  });

  it("takes enumerations from one constant", () => {
    expect(grpoOptionsSchema.shape.lossType.unwrap().options).toEqual([...LOSS_TYPES]);
    const reward = defineReward({ name: "r", score: (b) => b.completions.map(() => 0) });
    const m = model();
    expect(() => new GRPOTrainer({ model: m, tokenizer: { encode: () => [1], decode: () => "" }, eosTokenId: 0, rewards: createRewardRunner([{ reward }]), prompts: () => ({ prompt: "?", columns: {} }),
      config: { steps: 1, promptsPerStep: 1, groupSize: 2, maxNewTokens: 2, lr: 0.01, lossType: "ppo" as never } })).toThrow(`grpo.lossType must be one of ${LOSS_TYPES.join(", ")}, got "ppo"`);
    m.dispose();
  });
});
