/**
 * The whole stack on tfjs: `r1ts run` on a GRPO config that lists this package as a plugin and sets
 * `backend: tfjs-wasm` (generation with a KV cache, rewards, GRPO updates, evaluation), in a child
 * process as a user would run it. The config sits inside this package's folder, from where the
 * plugin name resolves (in a user's project it resolves from their node_modules).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const cli = fileURLToPath(new URL("../../cli/bin/r1ts.js", import.meta.url));
const work = mkdtempSync(path.join(packageDir, ".test-grpo-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it("r1ts run: a small GRPO run with plugins [@r1ts/backend-tfjs] and backend tfjs-wasm", async () => {
  const runDir = path.join(work, "run");
  const config = {
    name: "grpo-tfjs",
    seed: 0,
    backend: "tfjs-wasm",
    plugins: ["@r1ts/backend-tfjs"],
    runDir,
    model: { bundle: "builtin:base-arithmetic" },
    task: { name: "arithmetic", minDigits: 2, maxDigits: 2, heldOutFraction: 0.1, seed: 0 },
    trainer: "grpo",
    grpo: { steps: 2, promptsPerStep: 2, groupSize: 4, maxNewTokens: 24, temperature: 1, lr: 0.001, beta: 0 },
    rewards: ["accuracy", "format"],
    eval: { problems: 4, temperature: 0 },
  };
  const file = path.join(work, "config.json");
  writeFileSync(file, JSON.stringify(config));
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, "run", file], { cwd: packageDir, timeout: 120_000 });
  expect(`${stdout}\n${stderr}`).toContain("2 steps in");
  expect(`${stdout}\n${stderr}`).toContain("on the tfjs-wasm backend");
  const summary = JSON.parse(readFileSync(path.join(runDir, "summary.json"), "utf8")) as { backend: string; steps: number };
  expect(summary).toMatchObject({ backend: "tfjs-wasm", steps: 2 });
  const metrics = readFileSync(path.join(runDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(metrics).toHaveLength(2);
  for (const m of metrics) expect(Object.values(m).filter((v) => typeof v === "number").every(Number.isFinite)).toBe(true);
  expect(existsSync(path.join(runDir, "report.html"))).toBe(true);
}, 180_000);
