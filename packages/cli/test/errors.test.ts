/**
 * A CLI that fails like a good CLI: every user error (missing or corrupt model, bad dataset line, unknown
 * plugin) prints one short message naming what and where and exits non-zero, without a stack unless
 * --verbose, also in a real process after tfjs-wasm (which installs process-level exception handlers)
 * has loaded; internal errors exit 1. Backends load lazily: inspect, rewards and --help load none, and a
 * run on tfjs loads tfjs only, never Dawn.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadedBackendPackages } from "@r1ts/core";
import type { Command } from "../src/command.ts";
import { main } from "../src/main.ts";
import { ASSETS_DIR } from "../src/commands/bundles.ts";
import { r1ts } from "./helpers.ts";

const CLI = fileURLToPath(new URL("../bin/r1ts.js", import.meta.url));
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-errors-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function child(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }));
  });
}
const STACK = /^\s+at /m;

describe("user errors: one message, what and where, exit 2", () => {
  it("r1ts eval --model <missing dir> (a real process): under 2 KB, names the path, no stack", async () => {
    const missing = join(root, "no-such-model");
    const { code, stderr } = await child("eval", "--model", missing);
    expect(code).toBe(2);
    expect(Buffer.byteLength(stderr)).toBeLessThan(2048);
    expect(stderr).toContain(missing);
    expect(stderr).not.toMatch(STACK);
  }, 60_000);

  it("a corrupt model after tfjs-wasm has loaded (a real process): the same short message", async () => {
    const broken = join(root, "broken-model");
    await cp(join(ASSETS_DIR, "base-arithmetic"), broken, { recursive: true });
    await truncate(join(broken, "model.safetensors"), 1000);
    const { code, stderr } = await child("generate", "1+1", "--model", broken, "--backend", "tfjs-wasm");
    expect(code).toBe(2);
    expect(Buffer.byteLength(stderr)).toBeLessThan(2048);
    expect(stderr).toMatch(new RegExp(`checkpoint ${broken.replace(/[/\\]/g, ".")}, file model.safetensors: corrupt safetensors`));
    expect(stderr).not.toMatch(STACK);
  }, 60_000);

  it("a model whose config.json is not JSON", async () => {
    const bad = join(root, "bad-config-model");
    await cp(join(ASSETS_DIR, "base-arithmetic"), bad, { recursive: true });
    await writeFile(join(bad, "config.json"), "{ not json");
    const { code, stderr } = await r1ts("eval", "--model", bad, "--backend", "reference");
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`checkpoint ${bad.replace(/[/\\]/g, ".")}, file config.json: corrupt JSON`));
  });

  it("a bad dataset line, and an unknown plugin", async () => {
    await writeFile(join(root, "train.jsonl"), [JSON.stringify({ prompt: "1+1", completion: "2" }), JSON.stringify({ prompt: "2+2", completion: "4" }), "{ broken"].join("\n"));
    const config = (extra: Record<string, unknown>) => ({
      model: { bundle: "builtin:base-arithmetic" }, backend: "reference", runDir: join(root, `run-${Math.random().toString(36).slice(2)}`), data: { train: "train.jsonl" },
      trainer: "sft", sft: { steps: 1, batchSize: 2, lr: 0.001 }, ...extra,
    });
    await writeFile(join(root, "bad-data.json"), JSON.stringify(config({})));
    const data = await r1ts("run", join(root, "bad-data.json"));
    expect(data.code).toBe(2);
    expect(data.stderr).toContain(`dataset ${join(root, "train.jsonl")}, line 3: not valid JSON`);
    await writeFile(join(root, "bad-plugin.json"), JSON.stringify(config({ plugins: ["surely-not-a-plugin"] })));
    const plugin = await r1ts("run", join(root, "bad-plugin.json"));
    expect(plugin.code).toBe(2);
    expect(plugin.stderr).toMatch(/plugin "surely-not-a-plugin" not found\. Tried: r1ts-reward-surely-not-a-plugin, r1ts-plugin-surely-not-a-plugin, surely-not-a-plugin/);
    expect(plugin.stderr).not.toMatch(STACK);
  });
});

describe("internal errors", () => {
  const boom: Command = { name: "boom", summary: "throws", usage: "r1ts boom", run: async () => { throw new TypeError("x is not a function"); } };
  it("exit 1 with the message; the stack only with --verbose", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["boom"], [boom])).toBe(1);
    expect(String(err.mock.calls[0][0])).toMatch(/^r1ts boom: internal error: x is not a function\n\(run again with --verbose/);
    expect(String(err.mock.calls[0][0])).not.toMatch(STACK);
    expect(await main(["boom", "--verbose"], [boom])).toBe(1);
    expect(String(err.mock.calls[1][0])).toMatch(STACK);
    err.mockRestore();
  });
});

describe("backends load lazily", () => {
  it("inspect, rewards, --help load no backend package; a run on tfjs loads tfjs only (never Dawn)", async () => {
    for (const args of [["inspect", "--model", "deepseek-v3-671b"], ["rewards", "list"], ["--help"], ["run", "--help"], ["eval", "--model", join(root, "nothing")]]) {
      await r1ts(...args);
      expect(loadedBackendPackages(), args.join(" ")).toEqual([]);
    }
    await writeFile(join(root, "tfjs.json"), JSON.stringify({
      model: { bundle: "builtin:base-arithmetic" }, backend: "tfjs-cpu", runDir: join(root, "tfjs-run"), task: { name: "arithmetic", minDigits: 2, maxDigits: 2 }, trainer: "grpo",
      grpo: { steps: 1, promptsPerStep: 1, groupSize: 2, maxNewTokens: 8, lr: 0.001 }, rewards: ["accuracy", "format"], eval: { problems: 0 },
    }));
    const run = await r1ts("run", join(root, "tfjs.json"));
    expect(run.code, run.stderr).toBe(0);
    expect(loadedBackendPackages()).toEqual(["tfjs, tfjs-gpu, tfjs-node, tfjs-wasm, tfjs-cpu (@r1ts/backend-tfjs)"]);
  }, 120_000);
});
