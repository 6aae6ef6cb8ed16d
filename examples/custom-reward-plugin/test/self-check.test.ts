import { describe, expect, it } from "vitest";
import path from "node:path";
import { createRunContext, loadPluginByName, rewardsConfigSchema } from "@r1ts/core";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { r1Rewards } from "@r1ts/rewards";
import selfCheckPlugin, { selfCheckScore } from "../src/index.ts";

const exampleDir = path.resolve(import.meta.dirname, "../example");

describe("r1ts-reward-self-check", () => {
  it("scores verification phrases in the chain of thought", () => {
    expect(selfCheckScore("<think>\n2+2=4. Let me check: 4-2=2.\n</think>", ["let me check"])).toBe(1);
    expect(selfCheckScore("<think>\n2+2=4\n</think>", ["let me check"])).toBe(0);
    expect(selfCheckScore("4", ["let me check"])).toBeNull();
    expect(selfCheckScore("<think>verify. wait, double-check", ["verify", "wait,", "nope"], 4)).toBe(0.5);
  });

  it("loads by its short name", async () => {
    const loaded = await loadPluginByName("self-check", exampleDir);
    expect(loaded.resolvedName).toBe("r1ts-reward-self-check");
    expect(loaded.plugin.name).toBe(selfCheckPlugin.name);
  });

  it("the example config scores the example completions", async () => {
    const config = rewardsConfigSchema.parse(parse(readFileSync(path.join(exampleDir, "r1ts.config.yaml"), "utf8")));
    const ctx = await createRunContext({ plugins: config.plugins, builtins: [r1Rewards], baseDir: exampleDir });
    const rows = readFileSync(path.join(exampleDir, "completions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const scores = await ctx.createRewardRunner(config.rewards).score({
      prompts: rows.map((r) => r.prompt),
      completions: rows.map((r) => r.completion),
      columns: { answer: rows.map((r) => r.answer) },
    });
    expect(scores.perReward["self-check"]).toEqual([1, 0, null]);
    expect(scores.perReward.accuracy).toEqual([1, 0, 0]);
    expect(scores.total).toEqual([2.2, 1, 0]);
  });

  it("rejects bad options with the field named", async () => {
    await expect(createRunContext({ plugins: [["self-check", { needed: 0 }]], baseDir: exampleDir })).rejects.toThrow(/options.needed/);
  });
});
