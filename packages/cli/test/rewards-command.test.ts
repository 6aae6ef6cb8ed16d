import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../src/main.ts";
import { r1ts } from "./helpers.ts";

let dir = "";
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "r1ts-rewards-cli-"));
  writeFileSync(file("config.yaml"), [
    "model: ignored-by-this-command",
    "plugins:",
    "  - ./shout.mjs",
    "rewards:",
    "  - accuracy",
    "  - { name: format, weight: 0.5 }",
    "  - { name: countdown }",
    "  - { name: shout, weight: 2 }",
  ].join("\n"));
  // A local plugin given by relative path (plain object: no imports needed).
  writeFileSync(file("shout.mjs"), `export default { name: "shout", version: "1.0.0", coreRange: "^0.1.0", setup(api) {
    api.registerReward({ name: "shout", description: "1 for upper case", options: { safeParse: (v) => ({ success: true, data: v }) }, defaultOptions: {},
      score: (b) => b.completions.map((c) => (c.length > 0 && c === c.toUpperCase() ? 1 : 0)) });
  } };`);
  writeFileSync(file("in.jsonl"), [
    JSON.stringify({ prompt: "2+2?", completion: "<think>\nadd\n</think>\n<answer>\n4\n</answer>", answer: "4" }),
    JSON.stringify({ prompt: "2+2?", completion: "<ANSWER>5</ANSWER>", answer: "4" }),
    "not json",
    JSON.stringify({ prompt: "x", completion: 3 }),
    "",
    JSON.stringify({ prompt: "countdown", completion: "<answer>2*3*4</answer>", target: 24, nums: [2, 3, 4] }),
    JSON.stringify(["array"]),
  ].join("\n"));
  writeFileSync(file("bad-config.yaml"), "rewards:\n  - { name: accuracy, weight: heavy }\n");
  writeFileSync(file("unknown-reward.json"), JSON.stringify({ rewards: ["acuracy"] }));
  writeFileSync(file("boom.yaml"), "plugins: [./boom.mjs]\nrewards: [boom]\n");
  writeFileSync(file("boom.mjs"), `export default { name: "boom", version: "1.0.0", coreRange: "*", setup(api) {
    api.registerReward({ name: "boom", description: "", options: { safeParse: (v) => ({ success: true, data: v }) }, defaultOptions: {}, score: () => { throw new Error("kaboom"); } });
  } };`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  const err = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    const code = await main(args);
    return { code, stdout: log.mock.calls.map((c) => c.join(" ")).join("\n"), stderr: err.mock.calls.map((c) => c.join(" ")).join("\n") };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe("r1ts rewards score", () => {
  it("scores each row, writes rewards and total, and reports malformed lines by number", async () => {
    const { code, stderr } = await run(["rewards", "score", "--config", file("config.yaml"), "--input", file("in.jsonl"), "--output", file("out.jsonl")]);
    expect(code).toBe(1);
    const out = readFileSync(file("out.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(out.map((r) => r.rewards)).toEqual([
      { accuracy: 1, format: 1, countdown: null, shout: 0 },
      { accuracy: 0, format: 0, countdown: null, shout: 1 },
      { accuracy: null, format: 0, countdown: 1, shout: 0 },
    ]);
    expect(out.map((r) => r.total)).toEqual([1.5, 2, 1]);
    expect(out[0].answer).toBe("4");
    expect(out[2].nums).toEqual([2, 3, 4]);
    expect(stderr).toContain(`${file("in.jsonl")}:3: not valid JSON`);
    expect(stderr).toContain(`${file("in.jsonl")}:4: "completion" must be a string (got 3)`);
    expect(stderr).toContain(`${file("in.jsonl")}:7: expected a JSON object`);
    expect(stderr).toContain("scored 3 rows; skipped 3 malformed lines");
  });

  it("fails before scoring on a bad config, naming the field or the unknown reward", async () => {
    const bad = await run(["rewards", "score", "--config", file("bad-config.yaml"), "--input", file("in.jsonl")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/config .*bad-config.yaml is invalid:\n  rewards.0.weight: .*expected number, received string/);
    const unknown = await run(["rewards", "score", "--config", file("unknown-reward.json"), "--input", file("in.jsonl")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/rewards\[0\]: unknown reward "acuracy". Registered: accuracy, code, cosine/);
  });

  it("a reward that throws fails the run naming it", async () => {
    const boom = await run(["rewards", "score", "--config", file("boom.yaml"), "--input", file("in.jsonl")]);
    expect(boom.code).toBe(2);
    expect(boom.stderr).toContain('r1ts rewards: reward "boom" failed on a batch of 3 rows: kaboom');
  });

  it("reports usage mistakes", async () => {
    expect((await run(["rewards", "score", "--input", "x"])).stderr).toContain("--config is required");
    expect((await run(["rewards", "score", "--config", "c", "--input", "x", "--batch-size", "0"])).stderr).toContain("--batch-size must be a positive integer");
    expect((await run(["rewards", "frobnicate"])).stderr).toContain('unknown subcommand "frobnicate"');
    expect((await run(["rewards", "score", "--nope", "1"])).stderr).toContain("unknown option --nope");
  });
});

describe("r1ts rewards list", () => {
  it("lists built-in rewards and those of the config's plugins", async () => {
    const { code, stdout } = await run(["rewards", "list", "--config", file("config.yaml")]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^accuracy +1 if the last/m);
    expect(stdout).toMatch(/^shout +1 for upper case/m);
  });

  // Found by the fuzzer (fuzz/targets/rewards-score.ts, seed 16, cases 47 and 96): a value nested
  // 100,000 deep made JSON.stringify overflow the stack, in the message about a bad "completion" and
  // when the scored row was written back. Both lines are now reported and skipped; the others score.
  it("lines with values nested too deeply are reported with their line number, and the rest still score", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    writeFileSync(file("deep.jsonl"), [
      `{"prompt":"p","completion":${deep}}`,
      `{"prompt":"p","completion":"<answer>4</answer>","answer":${deep}}`,
      JSON.stringify({ prompt: "2+2?", completion: "<think>\nadd\n</think>\n<answer>\n4\n</answer>", answer: "4" }),
    ].join("\n"));
    writeFileSync(file("format-only.json"), JSON.stringify({ rewards: ["format"] }));
    const { code, stderr } = await r1ts("rewards", "score", "--config", file("format-only.json"), "--input", file("deep.jsonl"), "--output", file("deep-out.jsonl"));
    expect(code).toBe(1);
    expect(stderr).toContain(`${file("deep.jsonl")}:1: "completion" must be a string (got [[[[[[[[[...]]]]]]]]])`);
    expect(stderr).toMatch(new RegExp(`deep.jsonl:2: cannot be written back as JSON \\(Maximum call stack size exceeded\\)`));
    const scored = readFileSync(file("deep-out.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(scored.map((r) => r.rewards.format)).toEqual([1]);
  });
});
