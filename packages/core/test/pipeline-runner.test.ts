/**
 * The pipeline runner end to end on a tiny model: every built-in stage and a plugin's stage, artifacts
 * between them, the run directory, hooks per stage (plugin taps on the run's trainer hooks see each
 * trainer's events tagged with the stage), skipping completed stages, re-running what changed, and
 * resuming an interrupted stage from its checkpoint to exactly the weights of an uninterrupted run.
 */
import { existsSync } from "node:fs";
import { appendFile, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PIPELINE_FILES, StageError, definePlugin, defineStage, parsePipelineConfig, pipelineHooks, readJsonl, runPipeline, writeFileAtomic,
  type PipelineConfigInput, type PipelineSummary,
} from "../src/index.ts";
import { TASK, tempDir, tinyBundle, toyRewards } from "./pipeline-fixtures.ts";

let dir: string;
let base: string;
let teacher: string;

/** A third-party stage: counts a dataset's rows into a report. */
const countRows = defineStage({
  name: "count-rows",
  inputs: { data: { kind: "dataset" } },
  outputs: { report: { kind: "report" } },
  async run(ctx) {
    const rows = (await readFile(ctx.inputs.data.path, "utf8")).split("\n").filter((l) => l.trim() !== "").length;
    await writeFileAtomic(ctx.outputPath("report"), JSON.stringify({ rows }));
    return { metrics: { rows }, note: `${rows} rows` };
  },
});

/** Records what the run's hooks see; can make one training step fail once (an interruption). */
function observer() {
  const seen = { steps: [] as string[], before: [] as string[], after: [] as string[], skipped: [] as string[], checkpoints: [] as string[] };
  const failAt = { stage: "", step: -1 };
  const plugin = definePlugin({
    name: "observer",
    version: "1.0.0",
    coreRange: "^0.1.0",
    setup(api) {
      api.registerStage(countRows);
      api.hooks.afterStep.tap("observer", (e) => {
        if (e.stage === failAt.stage && e.step === failAt.step) {
          failAt.step = -1;
          throw new Error("simulated crash");
        }
        seen.steps.push(`${e.stage}:${e.trainer}:${e.step}`);
      });
      api.hooks.beforeCheckpoint.tap("observer", (e) => {
        e.metadata.observedBy = "observer";
        seen.checkpoints.push(`${e.stage}:${e.step}`);
      });
      const hooks = pipelineHooks(api.container);
      hooks.beforeStage.tap("observer", (e) => void seen.before.push(e.id));
      hooks.afterStage.tap("observer", (e) => void seen.after.push(e.id));
      hooks.stageSkipped.tap("observer", (e) => void seen.skipped.push(e.id));
    },
  });
  return { plugin, seen, failAt };
}

const keepAll = { thresholds: {}, filters: { format: false, language: false, repetition: false }, dropTruncated: false };
const grpo = { promptsPerStep: 2, groupSize: 4, maxNewTokens: 12, lr: 1e-2 };

function config(runDir: string, overrides: { rlLr?: number; coldLr?: number } = {}): PipelineConfigInput {
  return {
    name: "toy",
    backend: "reference",
    runDir,
    artifacts: { base: { kind: "model", path: base }, teacher: { kind: "model", path: teacher } },
    task: TASK,
    rewards: ["accuracy", "format"],
    eval: { problems: 4, maxNewTokens: 12, correctness: "accuracy", format: "format" },
    stages: [
      { id: "data", stage: "task-data", options: { count: 24, styles: { worked: 1, readable: 1 } } },
      { id: "cold", stage: "sft", inputs: { model: "base", data: "data" }, options: { steps: 3, batchSize: 4, lr: overrides.coldLr ?? 1e-2 } },
      { id: "rl", stage: "grpo", inputs: { model: "cold" }, options: { ...grpo, steps: 3, lr: overrides.rlLr ?? 1e-2, checkpointEvery: 1 } },
      { id: "rs", stage: "rejection-sampling", inputs: { model: "rl" }, options: { prompts: 6, samplesPerPrompt: 3, maxNewTokens: 12, maxPerPrompt: 2, promptsPerBatch: 4, ...keepAll } },
      { id: "count", stage: "count-rows", inputs: { data: "rs" } },
      {
        id: "distilled", stage: "distill", inputs: { teacher: "teacher", student: "rl" },
        options: { sampling: { prompts: 4, samplesPerPrompt: 2, maxNewTokens: 12, ...keepAll }, training: { steps: 2, batchSize: 4, lr: 1e-2 }, logitKl: { weight: 0.5, temperature: 2 } },
      },
      { id: "final", stage: "eval", inputs: { model: "distilled" }, options: { samplesPerProblem: 2, passK: [2], temperature: 1 } },
    ],
  };
}

const statuses = (s: PipelineSummary) => Object.fromEntries(s.stages.map((r) => [r.id, r.status]));

beforeAll(async () => {
  dir = await tempDir();
  base = await tinyBundle(dir);
  teacher = await tinyBundle(dir, { dim: 24, seed: 5 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("pipeline runner", () => {
  it("runs every built-in stage and a plugin's, firing hooks per stage, then skips, re-runs what changed and notices tampering", async () => {
    const runDir = join(dir, "run");
    const first = observer();
    const lines: string[] = [];
    const summary = await runPipeline(parsePipelineConfig(config(runDir)), { builtins: [toyRewards, first.plugin], log: (l) => lines.push(l) });

    expect(statuses(summary)).toEqual({ data: "ran", cold: "ran", rl: "ran", rs: "ran", count: "ran", distilled: "ran", final: "ran" });
    expect(first.seen.before).toEqual(["data", "cold", "rl", "rs", "count", "distilled", "final"]);
    expect(first.seen.after).toEqual(first.seen.before);
    // Trainer events reach the run's hooks, tagged with the stage that runs the trainer.
    expect(first.seen.steps).toEqual(["cold:sft:0", "cold:sft:1", "cold:sft:2", "rl:grpo:0", "rl:grpo:1", "rl:grpo:2", "distilled:distill:0", "distilled:distill:1"]);
    expect(first.seen.checkpoints).toEqual(["cold:3", "rl:1", "rl:2", "rl:3", "distilled:2"]);
    const ckpt = JSON.parse(await readFile(join(runDir, "stages/rl/checkpoints/step-000002/trainer_state.json"), "utf8"));
    expect(ckpt.metadata.observedBy).toBe("observer");

    // Artifacts flow by fingerprint: each stage's input is exactly its producer's output.
    const byId = Object.fromEntries(summary.stages.map((s) => [s.id, s.record]));
    expect(byId.rl.inputs.model.fingerprint).toBe(byId.cold.outputs.model.fingerprint);
    expect(byId.distilled.inputs.student.fingerprint).toBe(byId.rl.outputs.model.fingerprint);
    expect(byId.distilled.inputs.teacher.path).toBe(teacher);
    const kept = await readJsonl(join(runDir, byId.rs.outputs.dataset.path));
    expect(kept.length).toBe(byId.rs.metrics.kept);
    expect(kept.length).toBeLessThanOrEqual(12); // 6 prompts x maxPerPrompt 2
    expect(JSON.parse(await readFile(join(runDir, byId.count.outputs.report.path), "utf8"))).toEqual({ rows: kept.length });
    const stats = JSON.parse(await readFile(join(runDir, "stages/rs/rejection-stats.json"), "utf8"));
    expect(stats.generated).toBe(18);
    // Held-out evaluation after every stage that makes a model, and of the input models.
    expect(summary.inputs.map((i) => i.name)).toEqual(["base", "teacher"]);
    expect(byId.cold.eval?.problems).toBe(4);
    expect(byId.data.eval).toBeUndefined();
    expect(byId.final.eval?.samplesPerProblem).toBe(2);
    expect(Object.keys(byId.final.eval!.passAtK)).toEqual(["1", "2"]);
    // mean@N is pass@1 over the N samples; maj@N is a share of problems.
    expect(byId.final.eval!.meanAtN).toBeCloseTo(byId.final.eval!.passAtK["1"], 12);
    expect(byId.final.eval!.majAtN).toBeGreaterThanOrEqual(0);
    expect(byId.final.eval!.majAtN).toBeLessThanOrEqual(1);
    expect(byId.distilled.metrics.teacherForwardTokens).toBeGreaterThan(0);
    // The run directory.
    for (const f of Object.values(PIPELINE_FILES)) expect(existsSync(join(runDir, f))).toBe(true);
    expect(await readdir(join(runDir, "stages/rl/checkpoints"))).toEqual(["step-000001", "step-000002", "step-000003"]);
    expect((await readJsonl(join(runDir, "stages/rl/metrics.jsonl"))).map((m) => m.step)).toEqual([0, 1, 2]);
    const table = await readFile(join(runDir, PIPELINE_FILES.table), "utf8");
    expect(table).toMatch(/\| stage \| kind \| status \| held-out acc \|/);
    expect(table).toMatch(/\| rl \| grpo \| ran \| \d+\.\d% \|/);
    expect(lines.at(-1)).toMatch(/^\nstage\s+kind\s+status/);

    // The same config again: every stage is skipped, no trainer runs.
    const second = observer();
    const again = await runPipeline(parsePipelineConfig(config(runDir)), { builtins: [toyRewards, second.plugin] });
    expect(Object.values(statuses(again))).toEqual(Array(7).fill("skipped"));
    expect(second.seen.skipped).toEqual(first.seen.before);
    expect(second.seen.steps).toEqual([]);
    expect(again.stages.map((s) => s.record)).toEqual(summary.stages.map((s) => s.record));

    // Another learning rate for "cold": the stage before it is skipped; it runs again, and so does every
    // stage downstream of its (now different) model.
    const third = await runPipeline(parsePipelineConfig(config(runDir, { coldLr: 5e-3 })), { builtins: [toyRewards, observer().plugin] });
    expect(statuses(third)).toEqual({ data: "skipped", cold: "ran", rl: "ran", rs: "ran", count: "ran", distilled: "ran", final: "ran" });

    // Inputs are compared by content: "rl" runs again with another learning rate, but this random model
    // never earns a reward, so GRPO's advantages and gradients are zero and its model comes out the same:
    // the stages using it are skipped.
    const fourth = await runPipeline(parsePipelineConfig(config(runDir, { coldLr: 5e-3, rlLr: 5e-3 })), { builtins: [toyRewards, observer().plugin] });
    expect(statuses(fourth)).toEqual({ data: "skipped", cold: "skipped", rl: "ran", rs: "skipped", count: "skipped", distilled: "skipped", final: "skipped" });
    expect(fourth.stages[2].record.metrics.rewardLast).toBe(0);

    // A tampered output makes its stage run again; the same output again leaves the next stage skipped.
    await appendFile(join(runDir, "stages/data/dataset.jsonl"), `${JSON.stringify({ prompt: "x", completion: "y" })}\n`);
    const fifth = await runPipeline(parsePipelineConfig(config(runDir, { coldLr: 5e-3, rlLr: 5e-3 })), { builtins: [toyRewards, observer().plugin] });
    expect(statuses(fifth)).toMatchObject({ data: "ran", cold: "skipped", rl: "skipped" });
  }, 120_000);

  it("resumes an interrupted stage from its newest checkpoint, ending with the weights of an uninterrupted run", async () => {
    const resumable = (runDir: string): PipelineConfigInput => ({
      name: "resume", backend: "reference", runDir, model: { bundle: base }, task: TASK, rewards: ["accuracy", "format"], eval: { problems: 2, maxNewTokens: 8, correctness: "accuracy", format: "format" },
      stages: [{ id: "rl", stage: "grpo", inputs: { model: "base" }, options: { ...grpo, steps: 4, checkpointEvery: 1 } }],
    });
    const whole = await runPipeline(parsePipelineConfig(resumable(join(dir, "whole"))), { builtins: [toyRewards] });

    const runDir = join(dir, "interrupted");
    const { plugin, failAt, seen } = observer();
    failAt.stage = "rl";
    failAt.step = 2;
    const error = await runPipeline(parsePipelineConfig(resumable(runDir)), { builtins: [toyRewards, plugin] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageError);
    expect((error as Error).message).toMatch(/^stage "rl" \(grpo\): failed: hook "afterStep": tap "observer" failed: simulated crash\. Running the pipeline again resumes it/);
    expect(existsSync(join(runDir, "stages/rl/stage.json"))).toBe(false);
    expect(await readdir(join(runDir, "stages/rl/checkpoints"))).toEqual(["step-000001", "step-000002"]);

    const lines: string[] = [];
    const resumed = await runPipeline(parsePipelineConfig(resumable(runDir)), { builtins: [toyRewards, plugin], log: (l) => lines.push(l) });
    const record = resumed.stages[0].record;
    expect(resumed.stages[0].status).toBe("resumed");
    expect(record.resumedFrom).toBe(join("stages", "rl", "checkpoints", "step-000002"));
    expect(record.attempts).toBe(2);
    expect(lines).toContain("[rl] grpo (resuming from stages/rl/checkpoints/step-000002)");
    expect(seen.steps).toEqual(["rl:grpo:0", "rl:grpo:1", "rl:grpo:2", "rl:grpo:3"]);
    expect((await readJsonl(join(runDir, "stages/rl/metrics.jsonl"))).map((m) => m.step)).toEqual([0, 1, 2, 3]);
    // Exactly the uninterrupted run's weights, metrics and evaluation.
    expect(record.outputs.model.fingerprint).toBe(whole.stages[0].record.outputs.model.fingerprint);
    const strip = (rows: Record<string, unknown>[]) => rows.map(({ rolloutSeconds: _a, rewardSeconds: _b, trainSeconds: _c, stepSeconds: _d, ...m }) => m);
    expect(strip(await readJsonl(join(runDir, "stages/rl/metrics.jsonl")))).toEqual(strip(await readJsonl(join(dir, "whole/stages/rl/metrics.jsonl"))));
    expect({ ...record.eval, seconds: 0 }).toEqual({ ...whole.stages[0].record.eval, seconds: 0 });
  }, 120_000);
});
