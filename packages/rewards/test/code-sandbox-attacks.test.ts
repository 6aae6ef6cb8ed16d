/**
 * More attacks on the code reward's sandbox (issue 16), beside code-sandbox.test.ts: each is contained,
 * scores 0, and the next row of the same batch still scores 1.
 */
import { describe, expect, it } from "vitest";
import { createRewardRunner } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import { codeReward } from "../src/rewards/code.ts";
import { CodeSandbox } from "../src/code/sandbox.ts";

const good = "```js\nfunction add(a, b) { return a + b; }\n```";
const addTests = ["add(1, 2) === 3", "add(-1, 1) === 0"];

/** Scores [attack, good] in one batch through the reward runner (in a reward worker), as a trainer would. */
async function scoreAttack(attack: string, { withAdd = true, tests = addTests, options = {} }: { withAdd?: boolean; tests?: unknown[]; options?: Record<string, unknown> } = {}) {
  const batch: RewardBatch = {
    prompts: ["write add", "write add"],
    completions: ["```js\n" + attack + (withAdd ? "\nfunction add(a, b) { return a + b; }" : "") + "\n```", good],
    columns: { tests: [tests, addTests] },
  };
  const runner = createRewardRunner([{ reward: codeReward, options: { timeLimitMs: 300, ...options } }], { warn: () => {} });
  const start = performance.now();
  const scores = await runner.score(batch);
  return { scores: scores.perReward.code, ms: performance.now() - start, warnings: scores.warnings };
}

describe("code sandbox: more attacks", () => {
  it("Atomics.wait forever is stopped (by the interrupt or the watchdog)", async () => {
    const { scores, ms } = await scoreAttack("Atomics.wait(new Int32Array(new SharedArrayBuffer(16)), 0, 0);");
    expect(scores).toEqual([0, 1]);
    expect(ms).toBeLessThan(15_000);
  });

  it("WebAssembly.Memory growth bombs find no WebAssembly, and cannot grow host memory", async () => {
    const before = process.memoryUsage().rss;
    const { scores } = await scoreAttack("const m = new WebAssembly.Memory({ initial: 1, maximum: 65536 }); for (;;) m.grow(1000);");
    expect(scores).toEqual([0, 1]);
    expect((await scoreAttack("const ms = []; for (;;) ms.push(new WebAssembly.Memory({ initial: 16384 }));")).scores).toEqual([0, 1]);
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20);
  });

  it("SharedArrayBuffer tricks: huge shared buffers hit the memory limit, and nothing is shared with the host", async () => {
    expect((await scoreAttack("const big = new SharedArrayBuffer(2 ** 31 - 1); new Uint8Array(big).fill(1);", { options: { memoryLimitMb: 16 } })).scores).toEqual([0, 1]);
    expect((await scoreAttack("const keep = []; for (;;) keep.push(new SharedArrayBuffer(1 << 20));", { options: { memoryLimitMb: 16 } })).scores).toEqual([0, 1]);
    // A buffer "sent" anywhere reaches nothing: there is no postMessage, Worker or host object inside.
    const sandbox = new CodeSandbox();
    try {
      const outcome = await sandbox.run("console.log([typeof postMessage, typeof Worker, typeof MessageChannel, typeof onmessage].join(' '))", { output: "undefined undefined undefined undefined" });
      expect(outcome.passed).toBe(true);
    } finally {
      sandbox.close();
    }
  });

  it("Symbol.toPrimitive and getter traps on returned and thrown values are contained", async () => {
    const trap = "{ [Symbol.toPrimitive]() { for (;;) {} }, valueOf() { for (;;) {} }, toString() { for (;;) {} }, get message() { for (;;) {} }, get name() { for (;;) {} }, toJSON() { for (;;) {} } }";
    // A solution whose result loops when the test coerces it.
    expect((await scoreAttack(`function add() { return ${trap}; }`, { withAdd: false, tests: ["add(1, 2) == 3"] })).scores).toEqual([0, 1]);
    // Thrown objects whose message or name getters loop, read when the sandbox reports the error.
    expect((await scoreAttack(`throw ${trap};`)).scores).toEqual([0, 1]);
    // A printed object whose toJSON loops (console.log serialises it).
    expect((await scoreAttack(`console.log(${trap});`, { tests: [{ output: "x" }] })).scores).toEqual([0, 1]);
    // A test expression that returns a trap instead of true.
    expect((await scoreAttack(`globalThis.check = () => (${trap});`, { tests: ["check()"] })).scores).toEqual([0, 1]);
  });

  it("10 MB outputs, and a 10 MB completion, are contained", async () => {
    expect((await scoreAttack("console.log('x'.repeat(10 * 2 ** 20));", { tests: [{ output: "x" }] })).scores).toEqual([0, 1]);
    const huge = "```js\n// " + "y".repeat(10 * 2 ** 20) + "\nfunction add(a, b) { return a + b + (a === 1 ? 1 : 0); }\n```";
    const batch: RewardBatch = { prompts: ["", ""], completions: [huge, good], columns: { tests: [addTests, addTests] } };
    const scores = await createRewardRunner([{ reward: codeReward, options: { timeLimitMs: 300 } }], { warn: () => {} }).score(batch);
    expect(scores.perReward.code).toEqual([0.5, 1]);
  });

  it("deep JSON (parsing, building and printing structures a million deep) is contained", async () => {
    expect((await scoreAttack("JSON.parse('['.repeat(1e6) + ']'.repeat(1e6));")).scores).toEqual([0, 1]);
    expect((await scoreAttack("let v = []; for (let i = 0; i < 1e6; i++) v = [v]; console.log(JSON.stringify(v));")).scores).toEqual([0, 1]);
  });

  it("an infinite microtask loop is cut off and fails, even when the solution is right", async () => {
    const { scores } = await scoreAttack("(function again() { Promise.resolve().then(again); })();");
    expect(scores).toEqual([0, 1]);
    const sandbox = new CodeSandbox();
    try {
      const outcome = await sandbox.run("(function again() { Promise.resolve().then(again); })(); function add(a, b) { return a + b; }", "add(1, 2) === 3");
      expect(outcome.passed).toBe(false);
      expect(outcome.error).toMatch(/microtasks/);
    } finally {
      sandbox.close();
    }
  });

  it("the host's environment cannot be read", async () => {
    process.env.R1TS_SANDBOX_SECRET = "hunter2";
    const sandbox = new CodeSandbox();
    try {
      const probe = [
        "const found = [];",
        "for (const expr of ['process.env.R1TS_SANDBOX_SECRET', 'std.getenv(\"R1TS_SANDBOX_SECRET\")', 'os.getenv(\"R1TS_SANDBOX_SECRET\")', 'require(\"process\").env.R1TS_SANDBOX_SECRET', 'Deno.env.get(\"R1TS_SANDBOX_SECRET\")', 'globalThis.process.env.R1TS_SANDBOX_SECRET', 'import.meta.env.R1TS_SANDBOX_SECRET']) {",
        "  try { found.push(String(eval(expr))); } catch (e) { found.push(e.name); }",
        "}",
        "console.log(found.join(' '));",
      ].join("\n");
      const outcome = await sandbox.run(probe, { output: "never" });
      expect(outcome.output).not.toContain("hunter2");
      expect(outcome.output?.trim().split(" ").every((r) => r === "ReferenceError" || r === "TypeError" || r === "SyntaxError")).toBe(true);
    } finally {
      sandbox.close();
      delete process.env.R1TS_SANDBOX_SECRET;
    }
    expect((await scoreAttack("const secret = process.env.HOME;")).scores).toEqual([0, 1]);
    expect((await scoreAttack("const secret = std.getenv('HOME');")).scores).toEqual([0, 1]);
  });
});
