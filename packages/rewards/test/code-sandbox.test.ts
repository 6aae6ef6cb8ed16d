/**
 * Attacks on the code reward's sandbox: each is contained, scores 0, and the run goes on (the next
 * row, in the same batch, still scores 1). Host state is checked after each.
 */
import { afterAll, describe, expect, it } from "vitest";
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRewardRunner } from "@r1ts/core";
import type { RewardBatch } from "@r1ts/core";
import { codeReward } from "../src/rewards/code.ts";
import { CodeSandbox } from "../src/code/sandbox.ts";
import { extractCode } from "../src/code/extract-code.ts";

const good = "```js\nfunction add(a, b) { return a + b; }\n```";
const addTests = ["add(1, 2) === 3", "add(-1, 1) === 0"];
const marker = path.join(tmpdir(), `r1ts-sandbox-marker-${process.pid}`);
afterAll(() => rmSync(marker, { force: true }));

/** Scores [attack, good] in one batch through the reward runner, as a trainer would. */
async function scoreAttack(attack: string, options: Record<string, unknown> = {}, withAdd = true) {
  const batch: RewardBatch = {
    prompts: ["write add", "write add"],
    completions: ["```js\n" + attack + (withAdd ? "\nfunction add(a, b) { return a + b; }" : "") + "\n```", good],
    columns: { tests: [addTests, addTests] },
  };
  const runner = createRewardRunner([{ reward: codeReward, options: { timeLimitMs: 300, ...options } }]);
  const start = performance.now();
  const scores = await runner.score(batch);
  return { scores: scores.perReward.code, ms: performance.now() - start };
}

describe("code sandbox attacks", () => {
  it("an infinite loop is interrupted", async () => {
    const { scores, ms } = await scoreAttack("while (true) {}");
    expect(scores).toEqual([0, 1]);
    expect(ms).toBeLessThan(2 * (300 + 1000) + 2000);
  });

  it("a memory bomb hits the memory limit (or the watchdog)", async () => {
    const { scores } = await scoreAttack("const hoard = []; while (true) hoard.push(new Array(100000).fill(7));", { memoryLimitMb: 8 });
    expect(scores).toEqual([0, 1]);
    const huge = await scoreAttack("let s = 'x'; for (;;) s += s;");
    expect(huge.scores).toEqual([0, 1]);
  });

  it("reading or writing files, require, import and fetch are unavailable", async () => {
    for (const attack of [
      `require("fs").writeFileSync(${JSON.stringify(marker)}, "pwned");`,
      `std.open(${JSON.stringify(marker)}, "w");`,
      `fetch("http://example.com");`,
    ]) {
      const { scores } = await scoreAttack(attack);
      expect(scores, attack).toEqual([0, 1]);
    }
    // A dynamic import rejects (no module loader): the solution it would define never exists.
    const viaImport = `import("fs").then((fs) => { fs.writeFileSync(${JSON.stringify(marker)}, "pwned"); globalThis.add = (a, b) => a + b; });`;
    expect((await scoreAttack(viaImport, {}, false)).scores).toEqual([0, 1]);
    expect(existsSync(marker)).toBe(false);
  });

  it("process.exit does not exist, and cannot end the host", async () => {
    const { scores } = await scoreAttack("process.exit(1);");
    expect(scores).toEqual([0, 1]);
    const viaFunction = await scoreAttack("Function('return this')().process.exit(1);");
    expect(viaFunction.scores).toEqual([0, 1]);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it("host prototypes and globals cannot be touched", async () => {
    const sandbox = new CodeSandbox();
    try {
      const attack = [
        "Object.prototype.polluted = 'yes';",
        "Array.prototype.push = function () { return 'hijacked'; };",
        "globalThis.constructor.constructor('return this')().hostLeak = 1;",
        "JSON.parse = () => 'evil';",
        "function add(a, b) { return a + b; }",
      ].join("\n");
      const outcome = await sandbox.run(attack, "add(2, 2) === 4 && ({}).polluted === 'yes'");
      expect(outcome.passed).toBe(true); // the changes exist inside the sandbox...
      expect(({} as Record<string, unknown>).polluted).toBeUndefined(); // ...and not outside
      const list: number[] = [];
      list.push(1);
      expect(list).toEqual([1]);
      expect((globalThis as Record<string, unknown>).hostLeak).toBeUndefined();
      expect(JSON.parse("1")).toBe(1);
      // Each test starts from a fresh sandbox: the pollution is gone.
      expect((await sandbox.run("1", "({}).polluted === undefined")).passed).toBe(true);
    } finally {
      sandbox.close();
    }
  });

  it("enormous output is cut at the limit and fails the test", async () => {
    const { scores } = await scoreAttack("for (;;) console.log('spam'.repeat(1000));");
    expect(scores).toEqual([0, 1]);
    const sandbox = new CodeSandbox({ timeMs: 1000, memoryBytes: 32 << 20, stackBytes: 512 << 10, maxOutputBytes: 1000, graceMs: 1000 });
    try {
      const outcome = await sandbox.run("console.log('y'.repeat(5000));", { output: "y" });
      expect(outcome.passed).toBe(false);
      expect(outcome.error).toBe("output limit of 1000 bytes exceeded");
      expect(outcome.output!.length).toBeLessThanOrEqual(1000);
    } finally {
      sandbox.close();
    }
  });

  it("deep recursion hits the stack limit", async () => {
    const { scores } = await scoreAttack("(function f() { f(); })();");
    expect(scores).toEqual([0, 1]);
  });

  it("a watchdog kills a worker stuck past the deadline and the next test runs in a fresh one", async () => {
    // A tiny time limit with no grace: the host kills the worker even if QuickJS never yields.
    const sandbox = new CodeSandbox({ timeMs: 5, memoryBytes: 32 << 20, stackBytes: 512 << 10, maxOutputBytes: 1000, graceMs: 0 });
    try {
      const stuck = await sandbox.run("let a = []; for (let i = 0; i < 1e7; i++) a.push(new Array(1000).fill(i));", "true");
      expect(stuck.passed).toBe(false);
      expect(stuck.error).toMatch(/killed after|interrupted|out of memory/);
    } finally {
      sandbox.close();
    }
    const fresh = new CodeSandbox();
    try {
      expect((await fresh.run("function sq(x) { return x * x; }", "sq(3) === 9")).passed).toBe(true);
    } finally {
      fresh.close();
    }
  });
});

describe("code reward scoring", () => {
  it("scores the fraction passed, binary mode, stdin/stdout tests, missing code and missing tests", async () => {
    const batch: RewardBatch = {
      prompts: ["", "", "", "", "", ""],
      completions: [
        "```javascript\nfunction add(a, b) { return a + b + (a === 5 ? 1 : 0); }\n```",
        "```javascript\nfunction add(a, b) { return a + b + (a === 5 ? 1 : 0); }\n```",
        "no code here",
        good,
        "```js\nconst [a, b] = readline().split(' ').map(Number);\nconsole.log(a * b);\nconsole.log(input.length);\n```",
        good,
      ],
      columns: {
        tests: [
          ["add(1, 2) === 3", "add(5, 5) === 10", "add(0, 0) === 0", "add(2, 2) === 4"],
          JSON.stringify(["add(1, 2) === 3", "add(5, 5) === 10"]),
          addTests,
          null,
          [{ input: "6 7", output: "42\n3\n" }, { input: "2 3", output: "7" }],
          [],
        ],
      },
    };
    const fraction = await createRewardRunner([{ reward: codeReward }]).score(batch);
    expect(fraction.perReward.code).toEqual([0.75, 0.5, 0, null, 0.5, null]);
    const binary = await createRewardRunner([{ reward: codeReward, options: { mode: "binary" } }]).score(batch);
    expect(binary.perReward.code).toEqual([0, 0, 0, null, 0, null]);
    const allPass = await createRewardRunner([{ reward: codeReward, options: { mode: "binary" } }]).score({ prompts: [""], completions: [good], columns: { tests: [addTests] } });
    expect(allPass.perReward.code).toEqual([1]);
  });

  it("extracts the last fenced block, else the <answer> content", () => {
    expect(extractCode("```js\nA\n```\ntext\n```javascript\nB\n```")).toBe("B\n");
    expect(extractCode("```\nplain\n```")).toBe("plain\n");
    expect(extractCode("<answer>x => x</answer>")).toBe("x => x");
    expect(extractCode("nothing")).toBeNull();
  });
});
