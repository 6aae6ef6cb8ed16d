import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, defineConfig, loadRunConfig, parseRunConfig } from "../src/index.ts";

const good = {
  model: { bundle: "builtin:base-arithmetic" },
  task: { name: "arithmetic" },
  trainer: "grpo",
  grpo: { steps: 10, promptsPerStep: 4, groupSize: 8, maxNewTokens: 32, lr: 1e-3 },
  rewards: ["accuracy", { name: "format", weight: 0.5 }],
};

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function problems(raw: unknown): string[] {
  try {
    parseRunConfig(raw, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("run config", () => {
  it("fills the defaults of docs/grpo-algorithm.md and of the run", () => {
    const c = parseRunConfig(defineConfig(good as never));
    expect(c.grpo).toMatchObject({ beta: 0, epsilonLow: 0.2, lossType: "grpo", scaleRewards: "group", numIterations: 1, temperature: 1, maskTruncatedCompletions: false });
    expect(c.task).toMatchObject({ name: "arithmetic", minDigits: 2, maxDigits: 3, operations: ["+"] });
    expect(c).toMatchObject({ seed: 0, backend: "auto", output: "runs" });
    // checkpointEvery is the trainer's option now (one schema for configs and code), with the same default.
    expect(c.grpo).toMatchObject({ checkpointEvery: 0 });
    expect(c.rewards).toEqual([{ name: "accuracy", weight: 1 }, { name: "format", weight: 0.5 }]);
    expect(c.eval).toMatchObject({ problems: 200, temperature: 0 });
  });

  it("names the field path, what was expected and what was given", () => {
    expect(problems({ ...good, grpo: { ...good.grpo, lr: "fast" } })).toEqual(['grpo.lr: expected number, got "fast"']);
    expect(problems({ ...good, grpo: { ...good.grpo, lossType: "ppo" } })[0]).toMatch(/^grpo\.lossType: expected one of "grpo"\|"bnpo"\|"dr_grpo"\|"dapo", got "ppo"$/);
    expect(problems({ ...good, grpo: { ...good.grpo, groupSize: 0 } })[0]).toMatch(/^grpo\.groupSize: expected .*>=1, got 0$/);
    expect(problems({ ...good, grpo: { ...good.grpo, epsilon: 0.2 } })).toEqual(['grpo: unknown field "epsilon"']);
    expect(problems({ ...good, rewards: [{ name: "format", weight: "x" }] })).toEqual(['rewards.0.weight: expected number, got "x"']);
    expect(problems({ ...good, task: { name: "sudoku" } })[0]).toMatch(/^task\.name: .*got "sudoku"$/);
    expect(problems({ ...good, grpo: undefined })).toEqual(["grpo: expected the GRPO options (trainer is grpo), got nothing"]);
    expect(problems({ ...good, task: undefined })).toEqual(["task: expected a task ({ name: arithmetic | countdown, ... }) or a data section, got neither"]);
    expect(problems({ ...good, model: undefined })[0]).toBe("model: expected object, got nothing");
  });

  it("loads YAML and JSON files, and reports unreadable or unparsable ones", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-config-"));
    dirs.push(dir);
    const yaml = join(dir, "run.yaml");
    await writeFile(yaml, "model: { bundle: builtin:base-arithmetic }\ntask: { name: countdown }\ntrainer: grpo\ngrpo: { steps: 2, promptsPerStep: 2, groupSize: 4, maxNewTokens: 16, lr: 0.001, beta: 0.04 }\nrewards: [countdown]\n");
    expect((await loadRunConfig(yaml)).grpo?.beta).toBe(0.04);
    const json = join(dir, "run.json");
    await writeFile(json, JSON.stringify(good));
    expect((await loadRunConfig(json)).trainer).toBe("grpo");
    await writeFile(json, "{ nope");
    await expect(loadRunConfig(json)).rejects.toThrow(/run.json is invalid:\n {2}not valid JSON/);
    await expect(loadRunConfig(join(dir, "missing.yaml"))).rejects.toThrow(/cannot read the file/);
  });

  // Found by the fuzzer (fuzz/targets/config-files.ts, seed 16, case 10): a YAML alias that refers to
  // the node holding it makes a cyclic value, and the error message's JSON.stringify threw a TypeError.
  it("a cyclic YAML value (an alias inside its own anchor) is a ConfigError naming the field", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-config-"));
    dirs.push(dir);
    const yaml = join(dir, "cyclic.yaml");
    await writeFile(yaml, "model: { bundle: builtin:base-arithmetic }\ntask: { name: arithmetic }\ntrainer: grpo\ngrpo: { steps: &a [*a], promptsPerStep: 2, groupSize: 4, maxNewTokens: 16, lr: 0.001 }\nrewards: &b [*b]\n");
    const error = await loadRunConfig(yaml).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(yaml);
    expect(error.message).toMatch(/grpo\.steps: expected number, got \[\[circular\]\]/);
  });

  it("a value nested 100,000 deep is reported, cut short, without overflowing the stack", () => {
    const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000));
    const error = (() => { try { parseRunConfig({ ...good, seed: deep }, "deep.json"); } catch (e) { return e as Error; } })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toMatch(/seed: expected number, got \[\[\[\[\[\[\[\[\[\.\.\.\]\]\]\]\]\]\]\]\]/);
  });
});
