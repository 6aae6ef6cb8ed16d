/** `r1ts run`: config errors before any work, a small GRPO run, and --resume continuing exactly. */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { r1ts } from "./helpers.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-run-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The example config, shrunk to seconds. */
async function smallConfig(runDir: string, extra: Record<string, unknown> = {}): Promise<string> {
  const example = parse(await readFile(new URL("../../../examples/grpo-arithmetic.yaml", import.meta.url), "utf8"));
  const config = {
    ...example,
    backend: "reference",
    runDir,
    grpo: { ...example.grpo, steps: 3, promptsPerStep: 2, groupSize: 4, maxNewTokens: 24, checkpointEvery: 1 },
    eval: { problems: 4, temperature: 0 },
    ...extra,
  };
  const file = join(root, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(config));
  return file;
}

const stripTimes = (text: string) => text.trim().split("\n").map((l) => {
  const m = JSON.parse(l);
  for (const k of Object.keys(m)) if (k.endsWith("Seconds")) delete m[k];
  return m;
});

describe("r1ts run", () => {
  it("fails before any work on a bad config, naming the field, the expectation and the given value", async () => {
    const file = await smallConfig(join(root, "bad"), { grpo: { steps: 3, promptsPerStep: 2, groupSize: "eight", maxNewTokens: 24, lr: 0.002 } });
    const { code, stderr } = await r1ts("run", file);
    expect(code).toBe(2);
    expect(stderr).toContain('grpo.groupSize: expected number, got "eight"');
    expect(existsSync(join(root, "bad"))).toBe(false);
    const missing = await r1ts("run", join(root, "nope.yaml"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the file/);
    const unknownModel = await smallConfig(join(root, "bad2"), { model: { bundle: "builtin:nope" } });
    expect((await r1ts("run", unknownModel)).stderr).toMatch(/unknown built-in model "builtin:nope"/);
  });

  it("runs a config and resumes from the last checkpoint with the same metrics as an unbroken run", async () => {
    const full = join(root, "full");
    const { code, stdout } = await r1ts("run", await smallConfig(full), "--json");
    expect(code).toBe(0);
    expect(JSON.parse(stdout.at(-1)!)).toMatchObject({ steps: 3, trainer: "grpo" });
    const expected = stripTimes(await readFile(join(full, "metrics.jsonl"), "utf8"));
    expect(expected).toHaveLength(3);

    // Interrupted after step 1: stop the same config at 1 step, then resume it with 3.
    const part = join(root, "part");
    await r1ts("run", await smallConfig(part, { grpo: { ...(await cfg(full)).grpo, steps: 1 } }));
    expect(existsSync(join(part, "checkpoints", "step-000001"))).toBe(true);
    const resumed = await r1ts("run", await smallConfig(part), "--resume", part, "--json");
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .*step-000001 at step 1/);
    expect(stripTimes(await readFile(join(part, "metrics.jsonl"), "utf8"))).toEqual(expected);
  }, 300_000);

  it("runs an SFT config on JSONL data: completion loss falls on held-out rows", async () => {
    const rows = (a: number, b: number) => ({ prompt: `${a}+${b}`, completion: `<think>\n${a % 10}+${b % 10}=${(a % 10) + (b % 10)}\n</think>\n<answer>\n${a + b}\n</answer>`, answer: String(a + b) });
    const train = Array.from({ length: 40 }, (_, i) => rows(10 + i, 31 + ((i * 7) % 50)));
    const held = Array.from({ length: 6 }, (_, i) => rows(60 + i, 22 + i));
    await writeFile(join(root, "train.jsonl"), train.map((r) => JSON.stringify(r)).join("\n"));
    await writeFile(join(root, "held.jsonl"), held.map((r) => JSON.stringify(r)).join("\n"));
    const file = join(root, "sft.yaml");
    await writeFile(file, [
      "model: { bundle: builtin:base-arithmetic }", "backend: reference", `runDir: ${join(root, "sft")}`,
      "data: { train: train.jsonl, eval: held.jsonl }", "trainer: sft",
      "sft: { steps: 8, batchSize: 8, gradientAccumulation: 2, lr: 0.003 }", "rewards: [accuracy, format]",
      "eval: { problems: 6, maxNewTokens: 24 }",
    ].join("\n"));
    const { code, stdout } = await r1ts("run", file, "--json");
    expect(code).toBe(0);
    const summary = JSON.parse(stdout.at(-1)!);
    expect(summary).toMatchObject({ trainer: "sft", steps: 8, heldOutProblems: 6 });
    expect(summary.evalLossAfter).toBeLessThan(summary.evalLossBefore);
    expect(existsSync(join(root, "sft", "checkpoints", "step-000008", "model.safetensors"))).toBe(true);
  }, 300_000);

  it("prints help for every command", async () => {
    for (const name of ["demo", "run", "eval", "generate"]) {
      const { code, stdout } = await r1ts(name, "--help");
      expect(code, name).toBe(0);
      expect(stdout.join("\n"), name).toMatch(new RegExp(`usage: r1ts ${name}`));
    }
  });
});

async function cfg(runDir: string): Promise<{ grpo: Record<string, unknown> }> {
  return JSON.parse(await readFile(join(runDir, "config.json"), "utf8"));
}
