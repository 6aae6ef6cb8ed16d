/**
 * `r1ts rewards score` input files: JSONL lines of { prompt, completion, answer, nums, target,
 * completionIds } with model-like completions (tags, \boxed{}, LaTeX, equations, code), awkward values,
 * broken JSON and non-objects, scored by every text reward of @r1ts/rewards (accuracy with symbolic
 * equivalence included). The command must report bad lines and score the rest (exit 0 or 1); a reward
 * that throws on a completion is a crash, since model output is never trusted.
 */
import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { commands } from "@r1ts/cli";
import { awkwardJson, clip, expandDeep } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";

const PIECES = [
  "<think>", "</think>", "<answer>", "</answer>", "\n", "\\boxed{", "}", "{", "\\frac{1}{2}", "\\sqrt{", "x^2", "= ", "Step 1:", "1.", "First,",
  "\\left(", "\\right)", "\\dfrac", "\\text{ cm}", "3.14", "-7", "1/3", "10^{100}", "\\infty", "\\pi", "e^{i\\pi}", "(", ")", "*", "+", "/", "**", "//",
  "```js\n", "```", "\\", "$", "%", "&", "\u0000", "\uD83D\uDE00", "日本語", "  ", "\t", "9".repeat(40), "\\begin{pmatrix}", "\\end{pmatrix}", "\\\\",
];

const text = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 20 }).map((p) => p.join("")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const row = fc.record(
  {
    prompt: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: awkwardJson }),
    completion: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: awkwardJson }),
    answer: fc.oneof(text, awkwardJson),
    nums: fc.oneof(fc.array(fc.integer({ min: -5, max: 100 }), { maxLength: 4 }), awkwardJson),
    target: fc.oneof(fc.integer({ min: -5, max: 100 }), awkwardJson),
    completionIds: fc.oneof(fc.array(fc.nat({ max: 50 }), { maxLength: 5 }), awkwardJson),
  },
  { requiredKeys: ["prompt", "completion"] },
);

const line = fc.oneof(
  { weight: 8, arbitrary: row.map((r) => expandDeep(JSON.stringify(r))) },
  { weight: 1, arbitrary: awkwardJson.map((v) => expandDeep(JSON.stringify(v))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

const CONFIG = JSON.stringify({
  rewards: [
    "accuracy", "format", "tagCount", "reasoningSteps", "length", "cosine", "repetition", "softOverlong", "languageConsistency",
    { name: "countdown", options: { targetColumn: "target", numbersColumn: "nums" } },
  ],
});

export const rewardsScoreTarget = defineTarget<string[]>({
  name: "rewards-score",
  description: "r1ts rewards score: JSONL input lines with model-like completions and broken lines, every text reward",
  arbitrary: fc.array(line, { minLength: 1, maxLength: 6 }),
  reportsBadInput: true,
  async write(lines, files) {
    const file = files.path("completions.jsonl");
    await writeFile(file, lines.join("\n"));
    await writeFile(files.path("r1ts.config.json"), CONFIG);
    return file;
  },
  async read(file) {
    const dir = file.slice(0, file.lastIndexOf("/"));
    const code = await rewardsCommand().run(["score", "--config", `${dir}/r1ts.config.json`, "--input", file, "--output", `${dir}/scored.jsonl`]);
    if (code !== 0 && code !== 1) throw new Error(`exit code ${code}`);
  },
  preview: (lines, max) => clip(lines.join("\n"), max),
});

function rewardsCommand() {
  const command = commands.find((c) => c.name === "rewards");
  if (command === undefined) throw new Error("the CLI has no rewards command");
  return command;
}
