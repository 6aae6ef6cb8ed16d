/**
 * The pipeline is checked before any stage runs: unknown stages, bad options, missing inputs, inputs of
 * the wrong kind or made too late, missing artifacts and unknown rewards all fail at once, each naming the
 * stage, the input and what produced (or should produce) it; and no stage directory is created.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PipelineConfigError, builtinStagesPlugin, createRunContext, definePlugin, defineStage, parsePipelineConfig, planPipeline, runPipeline, z,
  type PipelineConfigInput,
} from "../src/index.ts";
import { TASK, tempDir, tinyBundle, toyRewards } from "./pipeline-fixtures.ts";

let dir: string;
let base: string;
const twoDatasets = defineStage({
  name: "two-datasets",
  options: z.object({ n: z.number().int().default(1) }).strict(),
  outputs: { train: { kind: "dataset" }, test: { kind: "dataset" } },
  run: async () => ({}),
});
const customStages = definePlugin({ name: "custom-stages", version: "1.0.0", coreRange: "^0.1.0", setup: (api) => api.registerStage(twoDatasets) });

beforeAll(async () => {
  dir = await tempDir();
  base = await tinyBundle(dir);
  await writeFile(join(dir, "cold.jsonl"), `${JSON.stringify({ prompt: "p", completion: "c" })}\n`);
});
afterAll(async () => {
  const { rm } = await import("node:fs/promises");
  await rm(dir, { recursive: true, force: true });
});

async function plan(config: Partial<PipelineConfigInput> & { stages: PipelineConfigInput["stages"] }) {
  const parsed = parsePipelineConfig({ name: "p", model: { bundle: base }, task: TASK, rewards: ["accuracy", "format"], ...config });
  const context = await createRunContext({ builtins: [builtinStagesPlugin, toyRewards, customStages] });
  return planPipeline(parsed, context, { resolvePath: (p) => (p.startsWith("/") ? p : join(dir, p)), source: "test.yaml" });
}

async function problemsOf(config: Parameters<typeof plan>[0]): Promise<string[]> {
  try {
    await plan(config);
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineConfigError);
    return [...(error as PipelineConfigError).problems];
  }
  throw new Error("expected the plan to fail");
}

const grpo = { steps: 1, promptsPerStep: 1, groupSize: 2, maxNewTokens: 4, lr: 1e-3 };

describe("pipeline plan", () => {
  it("resolves references: artifacts, <stage>.<output>, and <stage> alone when it has one output of the kind", async () => {
    const p = await plan({
      artifacts: { cold: { kind: "dataset", path: "cold.jsonl" } },
      stages: [
        { id: "rl", stage: "grpo", inputs: { model: "base" }, options: grpo },
        { id: "sft-a", stage: "sft", inputs: { model: "rl", data: "cold" }, options: { steps: 1, batchSize: 1, lr: 1e-3 } },
        { id: "data", stage: "two-datasets" },
        { id: "sft-b", stage: "sft", inputs: { model: "sft-a.model", data: "data.test" }, options: { epochs: 2, batchSize: 1, lr: 1e-3 } },
        { stage: "eval", inputs: { model: "sft-b" } },
      ],
    });
    expect(p.stages.map((s) => s.id)).toEqual(["rl", "sft-a", "data", "sft-b", "eval"]);
    expect(p.stages[0].inputs.model.source).toEqual({ type: "artifact", name: "base" });
    expect(p.stages[1].inputs.model.source).toEqual({ type: "stage", stageId: "rl", output: "model" });
    expect(p.stages[1].inputs.data.source).toEqual({ type: "artifact", name: "cold" });
    expect(p.stages[3].inputs.data.source).toEqual({ type: "stage", stageId: "data", output: "test" });
    // Defaults of the stage's schema are filled in; GRPO's and the pipeline's evaluation settings apply.
    expect((p.stages[0].options as Record<string, unknown>).lossType).toBe("grpo");
    expect(p.stages[0].eval).toMatchObject({ problems: 200, temperature: 0 });
    expect(p.stages[2].eval).toBe(false); // makes no model
    expect(p.artifacts.base.path).toBe(base);
  });

  it("names the stage, the input and the stages that make what is missing", async () => {
    const problems = await problemsOf({ stages: [{ id: "tune", stage: "sft", inputs: { model: "base" }, options: { steps: 1, batchSize: 1, lr: 1e-3 } }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`stages[0] "tune" (sft): input "data" (a dataset) is missing`);
    for (const maker of ["distill", "rejection-sampling", "task-data", "two-datasets"]) expect(problems[0]).toContain(maker);
  });

  it("reports every problem at once: wrong kind, too late, unknown name, ambiguity, bad options, unknown stage and reward", async () => {
    const problems = await problemsOf({
      rewards: ["accuracy", "no-such-reward"],
      stages: [
        { id: "rl", stage: "grpo", inputs: { model: "later" }, options: { ...grpo, lr: -1 } },
        { id: "data", stage: "two-datasets" },
        { id: "tune", stage: "sft", inputs: { model: "base", data: "rl" }, options: { steps: 1, batchSize: 1, lr: 1e-3 } },
        { id: "tune2", stage: "sft", inputs: { model: "nothing", data: "data", extra: "base" }, options: { steps: 1, epochs: 1, batchSize: 1, lr: 1e-3 } },
        { id: "later", stage: "grpo", inputs: { model: "base" }, options: grpo },
        { id: "x", stage: "no-such-stage" },
        { id: "later", stage: "eval", inputs: { model: "base" } },
      ],
    });
    const text = problems.join("\n");
    expect(text).toContain(`stages[0] "rl" (grpo): options.lr: expected number to be >0, got -1`);
    expect(text).toContain(`stages[0] "rl" (grpo): input "model" = "later": stage "later" (grpo) runs at stages[4], not before this one`);
    expect(text).toContain(`stages[2] "tune" (sft): input "data" = "rl": needs a dataset, but stage "rl" (grpo) makes model (model)`);
    expect(text).toContain(`stages[3] "tune2" (sft): unknown input "extra"; stage sft takes model (model), data (dataset)`);
    expect(text).toContain(`stages[3] "tune2" (sft): input "model" = "nothing": no artifact or earlier stage output has this name. Known: base (model), rl.model (model), data.train (dataset), data.test (dataset), tune.model (model)`);
    expect(text).toContain(`stages[3] "tune2" (sft): input "data" = "data": stage "data" (two-datasets) makes 2 datasets (train, test); say which: "data.<output>"`);
    expect(text).toContain(`stages[3] "tune2" (sft): options.steps: give either steps or epochs`);
    expect(text).toContain(`stages[5] "x" (no-such-stage): unknown stage "no-such-stage". Registered: distill, eval, grpo, pretrain, rejection-sampling, sft, task-data, two-datasets`);
    expect(text).toContain(`stages[6] "later" (eval): id "later" is used by stages[4] too`);
    expect(problems.filter((p) => p.includes("no-such-reward"))).toEqual([expect.stringMatching(/^rewards: rewards\[1\]: unknown reward "no-such-reward"/)]);
  });

  it("checks artifacts exist and are of their kind, and stages that need a task or rewards get them", async () => {
    const problems = await problemsOf({
      task: undefined,
      rewards: [],
      artifacts: { cold: { kind: "dataset", path: "missing.jsonl" }, other: { kind: "model", path: "cold.jsonl" } },
      stages: [{ id: "rl", stage: "grpo", inputs: { model: "base" }, options: grpo }],
    });
    const text = problems.join("\n");
    expect(text).toContain(`artifacts.cold (a dataset): nothing at ${join(dir, "missing.jsonl")}`);
    expect(text).toContain(`artifacts.other (a model): ${join(dir, "cold.jsonl")} is a file; a model is a bundle directory`);
    expect(text).toContain(`stages[0] "rl" (grpo): needs a task`);
    expect(text).toContain(`stages[0] "rl" (grpo): needs rewards`);
  });

  it("checks pass@k against the samples per problem", async () => {
    const problems = await problemsOf({ stages: [{ stage: "eval", inputs: { model: "base" }, eval: false }, { id: "e2", stage: "grpo", inputs: { model: "base" }, options: grpo, eval: { samplesPerProblem: 2, passK: [4] } }] });
    expect(problems).toEqual([`stages[1] "e2" (grpo): eval.passK 4 needs samplesPerProblem >= 4, got 2`]);
  });

  it("fails before any stage runs: no stage directory is created", async () => {
    const runDir = join(dir, "never");
    const config = parsePipelineConfig({
      name: "p", backend: "reference", runDir, model: { bundle: base }, task: TASK, rewards: ["accuracy"],
      stages: [
        { id: "data", stage: "task-data", options: { count: 4 } },
        { id: "tune", stage: "sft", inputs: { model: "base" }, options: { steps: 1, batchSize: 1, lr: 1e-3 } },
      ],
    });
    await expect(runPipeline(config, { builtins: [toyRewards] })).rejects.toThrow(/input "data" \(a dataset\) is missing/);
    expect(existsSync(runDir)).toBe(false);
  });
});
