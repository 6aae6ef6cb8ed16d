/**
 * examples/r1-pipeline.yaml end to end, the way a user runs it (`r1ts run <file> --quick`: the CLI, the
 * bundled base model, the built-in rewards, the best backend here), with every length capped; then
 * again, to see every stage skipped.
 */
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { loadPipelineConfig, type PipelineSummary } from "../src/index.ts";
import { tempDir } from "./pipeline-fixtures.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const example = join(root, "examples/r1-pipeline.yaml");
const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function r1ts(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [join(root, "packages/cli/bin/r1ts.js"), ...args], { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: "0" } });
}

describe("examples/r1-pipeline.yaml", () => {
  it("lists the five R1 steps", async () => {
    const config = await loadPipelineConfig(example);
    expect(config.stages.map((s) => `${s.id}:${s.stage}`)).toEqual([
      "r1-zero:grpo", "cold-start-data:task-data", "cold-start:sft", "reasoning-rl:grpo", "rejection:rejection-sampling", "rejection-sft:sft", "final-rl:grpo",
    ]);
    expect(config.stages[5].inputs).toEqual({ model: "base", data: "rejection" }); // SFT of the *base* on the kept samples
  });

  it("runs end to end with r1ts run --quick, printing the per-stage table; a second run skips every stage", async () => {
    const dir = await tempDir("r1ts-r1-pipeline-");
    dirs.push(dir);
    const runDir = join(dir, "run");
    const first = await r1ts(["run", example, "--quick", "--run-dir", runDir, "--json"]);
    const summary = JSON.parse(first.stdout.trim().split("\n").at(-1)!) as PipelineSummary;
    expect(summary.stages.map((s) => s.status)).toEqual(Array(7).fill("ran"));
    expect(summary.inputs.map((i) => i.name)).toEqual(["base"]);
    for (const s of summary.stages.filter((x) => x.stage !== "task-data" && x.stage !== "rejection-sampling")) {
      expect(s.record.eval?.problems).toBe(16);
      expect(s.record.eval?.format).not.toBeNull();
    }
    expect(first.stderr).toMatch(/stage\s+kind\s+status\s+held-out acc\s+format/);
    for (const id of ["r1-zero", "cold-start", "reasoning-rl", "rejection-sft", "final-rl"]) expect(first.stderr).toMatch(new RegExp(`\\n${id}\\s+(grpo|sft)\\s+ran\\s+\\d+\\.\\d%\\s+\\d+\\.\\d%`));
    expect(await readFile(join(runDir, "summary.md"), "utf8")).toContain("| rejection | rejection-sampling | ran |");

    const second = await r1ts(["pipeline", "run", example, "--quick", "--run-dir", runDir, "--json"]);
    const again = JSON.parse(second.stdout.trim().split("\n").at(-1)!) as PipelineSummary;
    expect(again.stages.map((s) => s.status)).toEqual(Array(7).fill("skipped"));
  }, 240_000);

  it("r1ts pipeline check prints the plan; a broken config fails naming the stage and input", async () => {
    const { stdout } = await r1ts(["pipeline", "check", example]);
    expect(stdout).toContain("examples/r1-pipeline.yaml: 7 stages, ready to run");
    expect(stdout).toContain("6. rejection-sft (sft)  model <- artifacts.base, data <- rejection.dataset");
    const dir = await tempDir("r1ts-r1-pipeline-");
    dirs.push(dir);
    const bad = join(dir, "bad.yaml");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(bad, (await readFile(example, "utf8")).replace("inputs: { model: base, data: rejection }", "inputs: { model: base }"));
    const error = await r1ts(["run", bad]).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(2);
    expect((error as { stderr: string }).stderr).toContain(`stages[5] "rejection-sft" (sft): input "data" (a dataset) is missing`);
  }, 120_000);
});
