/**
 * Resume in every case, with real processes: a 16-step `r1ts run` (GRPO, checkpoints every 4 steps,
 * held-out evaluation every 6) is killed with SIGKILL at six moments (three before its first checkpoint
 * is written), then continued with `--resume`; each ends with the metrics, evaluations, samples and
 * summary of an unbroken run. A truncated newest checkpoint is reported and the one before it is used,
 * with the same result.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Generator, TransformerLM, arithmeticTask, r1Completion, readJsonl, saveModelBundle, trainBpe } from "@r1ts/core";

const CLI = fileURLToPath(new URL("../bin/r1ts.js", import.meta.url));
const KILL_PLUGIN = fileURLToPath(new URL("./fixtures/kill-at.mjs", import.meta.url));
const TASK = { name: "arithmetic" as const, minDigits: 2, maxDigits: 2, heldOutFraction: 0.1, seed: 0 };
let root: string;
let bundle: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-kill-"));
  const task = arithmeticTask(TASK);
  const rng = new Generator(0);
  const texts = Array.from({ length: 50 }, () => {
    const p = task.sampleTrain(rng);
    return p.prompt + r1Completion(task.working(p), p.answer) + "<|endoftext|>";
  });
  const tokenizer = trainBpe(texts, { vocabSize: 300, specialTokens: ["<|endoftext|>"] });
  const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 32, seed: 1 });
  bundle = join(root, "bundle");
  await saveModelBundle(bundle, model, tokenizer, "<|endoftext|>", { task: TASK });
  model.dispose();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function configFor(runDir: string): Promise<string> {
  const file = join(root, `${runDir.split("/").at(-1)}.json`);
  await writeFile(file, JSON.stringify({
    name: "kill", seed: 3, backend: "reference", runDir, plugins: [KILL_PLUGIN], model: { bundle }, task: TASK, trainer: "grpo",
    grpo: { steps: 16, promptsPerStep: 2, groupSize: 2, maxNewTokens: 6, lr: 0.01, beta: 0.02, checkpointEvery: 4, keepCheckpoints: 3 },
    rewards: ["accuracy", "format"], eval: { problems: 2, every: 6, correctness: "accuracy", format: "format" },
  }));
  return file;
}

function r1ts(args: string[], killAt?: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, R1TS_TEST_KILL_AT: killAt ?? "" }, timeout: 120_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, signal: error ? ((error as { signal?: string }).signal ?? null) : null, stderr });
    });
  });
}

const strip = (rows: Record<string, unknown>[], keys: (k: string) => boolean) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys(k))));
async function outcome(runDir: string) {
  const summary = JSON.parse(await readFile(join(runDir, "summary.json"), "utf8")) as Record<string, unknown>;
  return {
    metrics: strip(await readJsonl(join(runDir, "metrics.jsonl")), (k) => k.endsWith("Seconds")),
    evals: strip(await readJsonl(join(runDir, "evals.jsonl")), (k) => k === "seconds"),
    samples: await readJsonl(join(runDir, "samples.jsonl")),
    summary: strip([summary], (k) => ["seconds", "peakRssMiB", "runDir", "finalCheckpoint"].includes(k))[0],
  };
}

let expected: Awaited<ReturnType<typeof outcome>>;

describe("r1ts run, killed with SIGKILL and resumed", () => {
  it("an unbroken run: 16 steps, evaluations before, at 6 and 12, and after", async () => {
    const dir = join(root, "unbroken");
    const run = await r1ts(["run", await configFor(dir)]);
    expect(run.code, run.stderr).toBe(0);
    expected = await outcome(dir);
    expect(expected.metrics.map((m) => m.step)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(expected.evals.map((e) => [e.step, e.phase])).toEqual([[0, "before"], [6, "during"], [12, "during"], [16, "after"]]);
  }, 120_000);

  // Three moments before the first checkpoint (step 4) is written, three after.
  const moments = ["afterRollout:0", "afterStep:2", "beforeCheckpoint:4", "afterStep:9", "onEval:12", "afterStep:15"];
  it.each(moments)("killed at %s, then --resume: the same metrics, evaluations, samples and summary", async (moment) => {
    const dir = join(root, moment.replace(":", "-"));
    const config = await configFor(dir);
    const killed = await r1ts(["run", config], moment);
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const resumed = await r1ts(["run", config, "--resume", dir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await outcome(dir)).toEqual(expected);
  }, 120_000);

  it("a truncated newest checkpoint is reported and the one before it is used, with the same result", async () => {
    const dir = join(root, "truncated");
    const config = await configFor(dir);
    expect((await r1ts(["run", config], "afterStep:14")).signal).toBe("SIGKILL");
    await truncate(join(dir, "checkpoints", "step-000012", "model.safetensors"), 1000);
    const resumed = await r1ts(["run", config, "--resume", dir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/checkpoint \S*step-000012 cannot be used \(.*corrupt safetensors.*\); trying the one before it/);
    expect(resumed.stderr).toMatch(/resumed from \S*step-000008 at step 8/);
    expect(await outcome(dir)).toEqual(expected);
  }, 120_000);
});
