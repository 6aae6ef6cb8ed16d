/**
 * runJob end to end with a tiny model bundle: run directory contents, evaluation before / during / after
 * (each firing the run's onEval hook), summary fields, and a report naming the run.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  TransformerLM, arithmeticTask, definePlugin, defineReward, parseRunConfig, r1Completion, runJob, saveModelBundle, trainBpe, Generator, readJsonl,
} from "../src/index.ts";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const accuracy = defineReward({ name: "accuracy", score: (b) => b.completions.map((c, i) => (c.includes(`<answer>\n${b.columns.answer[i]}\n</answer>`) ? 1 : 0)) });
const format = defineReward({ name: "format", score: (b) => b.completions.map((c) => (/^<think>\n.*?\n<\/think>\n<answer>\n.*?\n<\/answer>$/s.test(c) ? 1 : 0)) });
const rewards = definePlugin({ name: "test-rewards", version: "1.0.0", coreRange: "^0.1.0", setup: (api) => { api.registerReward(accuracy); api.registerReward(format); } });

describe("runJob", () => {
  it("writes the run directory, evaluates before, every N steps and after, and fires onEval", async () => {
    const root = await mkdtemp(join(tmpdir(), "r1ts-runjob-"));
    dirs.push(root);
    const task = arithmeticTask({ minDigits: 2, maxDigits: 2 });
    const rng = new Generator(0);
    const texts = Array.from({ length: 50 }, () => {
      const p = task.sampleTrain(rng);
      return p.prompt + r1Completion(task.working(p), p.answer) + "<|endoftext|>";
    });
    const tokenizer = trainBpe(texts, { vocabSize: 300, specialTokens: ["<|endoftext|>"] });
    const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 32 });
    const bundleDir = join(root, "bundle");
    await saveModelBundle(bundleDir, model, tokenizer, "<|endoftext|>", { task: { name: "arithmetic", minDigits: 2, maxDigits: 2 } });
    model.dispose();

    const config = parseRunConfig({
      backend: "reference", runDir: join(root, "run"), model: { bundle: bundleDir },
      task: { name: "arithmetic", minDigits: 2, maxDigits: 2 }, trainer: "grpo",
      grpo: { steps: 2, promptsPerStep: 2, groupSize: 2, maxNewTokens: 8, lr: 0.01 },
      rewards: ["accuracy", "format"], eval: { problems: 3, every: 1, correctness: "accuracy", format: "format" },
    });
    const evals: Record<string, number>[] = [];
    const summary = await runJob(config, {
      builtins: [rewards],
      onContext: (run) => run.hooks.onEval.tap("test", ({ metrics }) => void evals.push({ ...metrics })),
    });
    const run = join(root, "run");
    expect(summary).toMatchObject({ task: "arithmetic", trainer: "grpo", backend: "reference", steps: 2, heldOutProblems: 3, runDir: run });
    expect(summary.peakRssMiB).toBeGreaterThan(0);
    const evalRows = await readJsonl(join(run, "evals.jsonl"));
    expect(evalRows.map((r) => [r.step, r.phase])).toEqual([[0, "before"], [1, "during"], [2, "after"]]);
    expect(evals).toHaveLength(3);
    for (const e of evals) expect(Object.keys(e)).toEqual(expect.arrayContaining(["eval/accuracy", "eval/format", "eval/meanLength", "eval/rewards/accuracy"]));
    expect((await readJsonl(join(run, "metrics.jsonl"))).map((m) => m.step)).toEqual([0, 1]);
    expect(existsSync(join(run, "checkpoints", "step-000002", "model.safetensors"))).toBe(true);
    const html = await readFile(join(run, "report.html"), "utf8");
    expect(html).toContain("r1ts GRPO run: arithmetic on reference");
    expect(html).not.toMatch(/<script type="application\/json" id="report-data">[^<]*<\/script>[\s\S]*<script type="application\/json"/);
    // The config as resolved, with the backend that ran.
    expect(JSON.parse(await readFile(join(run, "config.json"), "utf8"))).toMatchObject({ resolvedBackend: "reference", grpo: { lossType: "grpo" } });
  }, 120_000);
});
