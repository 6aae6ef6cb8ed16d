/**
 * examples/distill-vs-rl: the comparison table from made-up reports (golden Markdown), and the whole
 * pipeline in its shortened form (the same stages and plugin stage, every length capped).
 */
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdtemp } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import "@r1ts/backend-tfjs";
import { loadPipelineConfig, runPipeline, shortenPipeline } from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import { type CompareRow, compareMarkdown } from "../compare-stage.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("distill-vs-rl", () => {
  it("renders the table: pass@1, pass@k, format, length, cost", () => {
    const row = (key: CompareRow["key"], label: string, accuracy: number, pass8: number, gen: number, trained: number, seconds: number, stages: string[]): CompareRow => ({
      key, label, accuracy, passAtK: { "1": accuracy, "8": pass8 }, format: 1, meanLength: 20.25, tokensGenerated: gen, tokensTrained: trained, seconds, stages,
    });
    const md = compareMarkdown("T", [
      row("base", "base", 0.5, 0.9, 0, 0, 0, []),
      row("rl", "rl", 0.8, 0.95, 1500, 1500, 300.4, ["rl-student"]),
      row("distilled", "distilled", 0.9, 0.99, 2_500_000, 200_000, 280, ["distilled"]),
      row("teacher", "teacher", 0.95, 1, 10, 999, 1200, ["a", "b"]),
    ], "note");
    expect(md).toBe([
      "# T", "", "note", "",
      "| model | held-out accuracy (pass@1) | pass@8 | format | mean length | tokens generated | tokens trained | seconds | stages counted |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      "| base | 50.0% | 90.0% | 100.0% | 20.3 | 0 | 0 | 0 | (none) |",
      "| rl | 80.0% | 95.0% | 100.0% | 20.3 | 1.5k | 1.5k | 300 | rl-student |",
      "| distilled | 90.0% | 99.0% | 100.0% | 20.3 | 2.50M | 200.0k | 280 | distilled |",
      "| teacher | 95.0% | 100.0% | 100.0% | 20.3 | 10 | 999 | 1200 | a, b |",
      "",
    ].join("\n"));
  });

  it("runs the shortened pipeline end to end and writes table.md", async () => {
    const file = join(root, "examples/distill-vs-rl/pipeline.yaml");
    // Shorter still than --quick: this only checks that every stage fits together.
    const config = shortenPipeline(await loadPipelineConfig(file), { problems: 4, group: 2, prompts: 4, rows: 16, batchSize: 4 });
    const runDir = await mkdtemp(join(tmpdir(), "r1ts-distill-vs-rl-"));
    dirs.push(runDir);
    const baseDir = dirname(file);
    const summary = await runPipeline(config, {
      baseDir, builtins: [r1Rewards], runDir,
      resolvePath: (p) => (p.startsWith("builtin:") ? join(root, "packages/cli/assets", p.slice("builtin:".length)) : resolve(baseDir, p)),
    });
    expect(summary.stages.map((s) => s.id)).toEqual(["corpus", "teacher-base", "teacher-rl", "distilled", "rl-student", "eval-base", "eval-rl", "eval-distilled", "eval-teacher", "table"]);
    const table = await readFile(join(runDir, "stages/table/table.md"), "utf8");
    expect(table).toMatch(/^# Distillation vs RL on the small model/);
    for (const label of ["student base", "student \\+ GRPO \\(RL only\\)", "student distilled from the teacher", "teacher"]) expect(table).toMatch(new RegExp(`\\| ${label} \\| \\d+\\.\\d% \\|`));
    const rows = JSON.parse(await readFile(join(runDir, "stages/table/table.json"), "utf8")) as CompareRow[];
    const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
    const record = (id: string) => summary.stages.find((s) => s.id === id)!.record;
    expect(byKey.rl.seconds).toBeCloseTo(record("rl-student").seconds, 6);
    expect(byKey.distilled.tokensGenerated).toBe(record("distilled").tokens.generated);
    expect(byKey.teacher.stages).toEqual(["corpus", "teacher-base", "teacher-rl"]);
    expect(byKey.base.accuracy).toBe(record("eval-base").eval!.accuracy);
    // The teacher shares the student's tokenizer (its pretraining took the base's).
    const config1 = JSON.parse(await readFile(join(runDir, "stages/teacher-base/model/config.json"), "utf8"));
    const config2 = JSON.parse(await readFile(join(root, "packages/cli/assets/base-arithmetic/config.json"), "utf8"));
    expect(config1.tokenizer).toEqual(config2.tokenizer);
    expect(config1.model.dim).toBe(96);
  }, 240_000);
});
