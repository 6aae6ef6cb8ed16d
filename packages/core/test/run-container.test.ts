/**
 * The run's container does something: the parts a plugin may replace (rollout engine, checkpoint store,
 * evaluator) and add (metrics sinks, tokenizers, backends) are resolved from it by the runner and the
 * stages. A plugin given in code and the same plugin listed in a config by path give the same run; a
 * tokenizer plugin works end to end (a bundle naming it trains and evaluates); a plugin's backend is
 * scoped to its run.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BackendError, CharTokenizer, DirectoryCheckpointStore, type PipelineConfigInput, TransformerLM, createReferenceBackend, definePlugin, evaluateBundle,
  getBackend, loadModelBundle, parsePipelineConfig, readJsonl, registeredBackends, runPipeline, saveModelBundle,
} from "../src/index.ts";
import scriptedRollouts from "./fixtures/scripted-rollouts-plugin.mjs";
import { TASK, tempDir, tinyBundle, toyRewards } from "./pipeline-fixtures.ts";

let dir: string;
let base: string;
beforeAll(async () => {
  dir = await tempDir("r1ts-container-");
  base = await tinyBundle(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const COMPLETION = "<think>\n1+1=2\n</think>\n<answer>\n2\n</answer>";
const grpoRun = (runDir: string, plugins: PipelineConfigInput["plugins"]): PipelineConfigInput => ({
  name: "container", backend: "reference", runDir, model: { bundle: base }, task: TASK, rewards: ["accuracy", "format"], plugins,
  eval: { problems: 2, maxNewTokens: 8, correctness: "accuracy", format: "format" },
  stages: [{ id: "rl", stage: "grpo", inputs: { model: "base" }, options: { steps: 3, promptsPerStep: 2, groupSize: 2, maxNewTokens: 12, lr: 1e-2, checkpointEvery: 1 } }],
});
const noSeconds = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith("Seconds"))));
const sinkRows = async (file: string) => (await readFile(file, "utf8")).trim().split("\n").map((l) => {
  const row = JSON.parse(l) as { stage: string; trainer: string; step: number; metrics: Record<string, unknown> };
  return { ...row, metrics: noSeconds([row.metrics])[0] };
});

describe("the run's container", () => {
  it("a plugin replaces the rollout engine and adds a metrics sink, in code and in config, with the same result", async () => {
    const inCode = join(dir, "in-code");
    const inConfig = join(dir, "in-config");
    const codeLog = join(dir, "code-sink.jsonl");
    const configLog = join(dir, "config-sink.jsonl");
    // In code, plugins (objects, with their options) are given to the runner.
    await runPipeline(parsePipelineConfig(grpoRun(inCode, [])), { builtins: [toyRewards, [scriptedRollouts, { completion: COMPLETION, log: codeLog }]] });
    // The same plugin by path, as a config lists it (relative to the config's folder).
    await runPipeline(parsePipelineConfig(grpoRun(inConfig, [["./fixtures/scripted-rollouts-plugin.mjs", { completion: COMPLETION, log: configLog }]])), { builtins: [toyRewards], baseDir: import.meta.dirname });

    const metrics = noSeconds(await readJsonl(join(inCode, "stages/rl/metrics.jsonl")));
    expect(metrics).toHaveLength(3);
    expect(noSeconds(await readJsonl(join(inConfig, "stages/rl/metrics.jsonl")))).toEqual(metrics);
    // The rollouts are the plugin's: every completion is the scripted one (in format, all of one length).
    for (const m of metrics) expect(m).toMatchObject({ "rewards/format/mean": 1, "completions/min_length": m["completions/max_length"] });
    const samples = (await readJsonl(join(inCode, "stages/rl/samples.jsonl"))).filter((s) => s.phase === "train");
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(s.completion).toBe(COMPLETION);
    // The sink saw every logged step, tagged with the stage, the same way in both runs.
    const code = await sinkRows(codeLog);
    expect(code.map((r) => `${r.stage}:${r.trainer}:${r.step}`)).toEqual(["rl:grpo:0", "rl:grpo:1", "rl:grpo:2"]);
    expect(code.map((r) => r.metrics)).toEqual(metrics);
    expect(await sinkRows(configLog)).toEqual(code);
  }, 60_000);

  it("resolves the checkpoint store and the evaluator from the container", async () => {
    const saved: number[] = [];
    const evaluated: string[] = [];
    const parts = definePlugin({
      name: "parts", version: "1.0.0", coreRange: "^0.1.0",
      setup(api) {
        api.registerCheckpointStore({
          name: "recording",
          create: (stageDir) => {
            const inner = new DirectoryCheckpointStore(stageDir);
            return { location: (s) => inner.location(s), load: (l) => inner.load(l), list: () => inner.list(), remove: (l) => inner.remove(l), save: (s, c) => (saved.push(s), inner.save(s, c)) };
          },
        });
        api.registerEvaluator({ name: "recording", evaluate: (bundle, problems, rewards, settings) => (evaluated.push(`${problems.length}@${settings.seed}`), evaluateBundle(bundle, problems, rewards, settings)) });
      },
    });
    const summary = await runPipeline(parsePipelineConfig(grpoRun(join(dir, "parts"), [])), { builtins: [toyRewards, parts] });
    expect(saved).toEqual([1, 2, 3]);
    // The input model before, the stage's model after: both through the plugin's evaluator.
    expect(evaluated).toEqual(["2@17", "2@17"]);
    expect(summary.stages[0].record.eval?.problems).toBe(2);
    const twice = definePlugin({ name: "twice", version: "1.0.0", coreRange: "^0.1.0", setup: (api) => api.registerEvaluator({ name: "other", evaluate: evaluateBundle }) });
    await expect(runPipeline(parsePipelineConfig(grpoRun(join(dir, "twice"), [])), { builtins: [toyRewards, parts, twice] })).rejects.toThrow(/part "evaluator" is registered twice: by plugin "parts" and by plugin "twice"/);
  }, 60_000);

  it("a tokenizer plugin works end to end: a bundle naming it trains (SFT, GRPO) and is evaluated", async () => {
    const ALPHABET = "0123456789+=<>/\n thinkaswer";
    const chars = definePlugin({
      name: "chars", version: "1.0.0", coreRange: "^0.1.0",
      setup: (api) => api.registerTokenizer({ name: "chars", create: (o) => CharTokenizer.fromText(String(o?.alphabet), { specialTokens: ["<eos>"] }) }),
    });
    const tokenizer = CharTokenizer.fromText(ALPHABET, { specialTokens: ["<eos>"] });
    const spec = { factory: "chars", options: { alphabet: ALPHABET } };
    const bundleDir = join(dir, "char-bundle");
    const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 64, seed: 2 });
    await saveModelBundle(bundleDir, model, tokenizer, "<eos>", { tokenizer: spec });
    model.dispose();
    const row = (a: number, b: number) => ({ prompt: `${a}+${b}=`, completion: `<think>\n${a}+${b}=${a + b}\n</think>\n<answer>\n${a + b}\n</answer>`, answer: String(a + b) });
    await writeFile(join(dir, "train.jsonl"), Array.from({ length: 12 }, (_, i) => JSON.stringify(row(i % 5, (i * 3) % 4))).join("\n"));
    await writeFile(join(dir, "eval.jsonl"), [row(2, 2), row(3, 1)].map((r) => JSON.stringify(r)).join("\n"));
    const config = (runDir: string): PipelineConfigInput => ({
      name: "chars", backend: "reference", runDir, artifacts: { base: { kind: "model", path: bundleDir }, data: { kind: "dataset", path: join(dir, "train.jsonl") } },
      data: { train: join(dir, "train.jsonl"), eval: join(dir, "eval.jsonl"), template: false }, rewards: ["accuracy", "format"],
      eval: { problems: 2, maxNewTokens: 24, correctness: "accuracy", format: "format" },
      stages: [
        { id: "cold", stage: "sft", inputs: { model: "base", data: "data" }, options: { steps: 2, batchSize: 4, lr: 1e-2 } },
        { id: "rl", stage: "grpo", inputs: { model: "cold" }, options: { steps: 1, promptsPerStep: 2, groupSize: 2, maxNewTokens: 24, lr: 1e-2 } },
      ],
    });
    const summary = await runPipeline(parsePipelineConfig(config(join(dir, "chars-run"))), { builtins: [toyRewards, chars] });
    expect(summary.stages.map((s) => s.status)).toEqual(["ran", "ran"]);
    expect(summary.inputs[0].eval?.problems).toBe(2);
    for (const s of summary.stages) {
      expect(s.record.eval?.problems).toBe(2);
      const out = JSON.parse(await readFile(join(summary.runDir, s.record.outputs.model.path, "config.json"), "utf8"));
      expect(out.tokenizer).toEqual(spec);
    }
    const rl = await loadModelBundle(join(summary.runDir, summary.stages[1].record.outputs.model.path), new Map([["chars", { name: "chars", create: () => tokenizer }]]));
    expect(rl.tokenizer.decode(rl.tokenizer.encode("2+2=4"))).toBe("2+2=4");
    expect(rl.eosTokenId).toBe(0);
    rl.model.dispose();
    // Without the plugin the bundle names a tokenizer nobody registered: one clear error.
    await expect(runPipeline(parsePipelineConfig(config(join(dir, "no-plugin"))), { builtins: [toyRewards] })).rejects.toThrow(/char-bundle\/config.json, "tokenizer": unknown tokenizer "chars". Registered: \(none\)\. Tokenizers come from plugins/);
  }, 60_000);

  it("a backend a plugin registers is scoped to its run", async () => {
    const scoped = definePlugin({
      name: "scoped-backend", version: "1.0.0", coreRange: "^0.1.0",
      setup: (api) => api.registerBackend({ name: "scoped-reference", priority: -50, create: () => createReferenceBackend() }),
    });
    const config = { ...grpoRun(join(dir, "scoped"), []), backend: "scoped-reference" };
    const summary = await runPipeline(parsePipelineConfig(config), { builtins: [toyRewards, scoped] });
    expect(summary.backend).toBe("scoped-reference");
    expect(registeredBackends().map((b) => b.name)).not.toContain("scoped-reference");
    await expect(getBackend("scoped-reference")).rejects.toThrow(BackendError);
    // Another run without the plugin cannot use it.
    await expect(runPipeline(parsePipelineConfig({ ...config, runDir: join(dir, "scoped-2") }), { builtins: [toyRewards] })).rejects.toThrow(/unknown backend "scoped-reference"/);
  }, 60_000);
});
