/**
 * Checkpoints survive a full disk (issue 16). A GRPO run writes its run directory onto a small tmpfs
 * that holds the first checkpoint but not a second: the second write fails with ENOSPC, the run stops
 * with a CheckpointError that says so, the first checkpoint is intact (and nothing half-written is
 * left), and after the disk grows, resuming the run finishes it. Where mounting a tmpfs is refused
 * (not root), the same run gets its ENOSPC from an injected file system instead; it is never skipped.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";

const root = await mkdtemp(join(tmpdir(), "r1ts-disk-full-"));
const mountPoint = join(root, "small-disk");
let mounted = false;
afterAll(async () => {
  if (mounted) execFileSync("umount", [mountPoint]);
  await rm(root, { recursive: true, force: true });
});

function tryMount(bytes: number): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${Math.ceil(bytes / 4096) * 4}k`, "tmpfs", mountPoint], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/** Bytes a folder takes on a tmpfs (each file rounded up to 4 KiB pages). */
async function pagesOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += Math.ceil((await stat(join(entry.parentPath, entry.name))).size / 4096) * 4096;
  }
  return total;
}

describe("a checkpoint on a full disk", () => {
  it("stops the run with a clear error, keeps the previous checkpoint, and a later resume finishes the run", async () => {
    await mkdir(mountPoint, { recursive: true });
    // Without a tmpfs, every file write under the small disk past the first checkpoint fails with ENOSPC.
    const injected = { on: false, failAfter: "" };
    vi.doMock("node:fs/promises", async (importOriginal) => {
      const fs = await importOriginal<typeof import("node:fs/promises")>();
      const open: typeof fs.open = (async (path: Parameters<typeof fs.open>[0], ...rest: unknown[]) => {
        if (injected.on && String(path).startsWith(injected.failAfter)) throw Object.assign(new Error(`ENOSPC: no space left on device, open '${String(path)}'`), { code: "ENOSPC", errno: -28, syscall: "open", path: String(path) });
        return (fs.open as (...a: unknown[]) => ReturnType<typeof fs.open>)(path, ...rest);
      }) as typeof fs.open;
      return { ...fs, open, default: { ...fs, open } };
    });
    vi.resetModules();
    const core = await import("../src/index.ts");
    const { CheckpointError, Generator, TransformerLM, arithmeticTask, definePlugin, defineReward, latestCheckpoint, loadCheckpoint, parseRunConfig, r1Completion, runJob, saveModelBundle, trainBpe } = core;

    const task = arithmeticTask({ minDigits: 2, maxDigits: 2 });
    const rng = new Generator(0);
    const texts = Array.from({ length: 40 }, () => {
      const p = task.sampleTrain(rng);
      return p.prompt + r1Completion(task.working(p), p.answer) + "<|endoftext|>";
    });
    const tokenizer = trainBpe(texts, { vocabSize: 300, specialTokens: ["<|endoftext|>"] });
    const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 16, nLayers: 1, nHeads: 2, interDim: 32, maxSeqLen: 96 });
    const bundleDir = join(root, "bundle");
    await saveModelBundle(bundleDir, model, tokenizer, "<|endoftext|>", { task: { name: "arithmetic", minDigits: 2, maxDigits: 2 } });
    model.dispose();
    const length = defineReward({ name: "short", score: (b) => b.completions.map((c) => 1 / (1 + c.length)) });
    const configFor = (runDir: string) => parseRunConfig({
      backend: "reference", runDir, model: { bundle: bundleDir }, task: { name: "arithmetic", minDigits: 2, maxDigits: 2 }, trainer: "grpo",
      grpo: { steps: 3, promptsPerStep: 2, groupSize: 2, maxNewTokens: 6, lr: 0.01, checkpointEvery: 1 }, rewards: ["short"], eval: { problems: 0 },
    });
    const rewards = definePlugin({ name: "disk-full-rewards", version: "1.0.0", coreRange: "^0.1.0", setup: (api) => api.registerReward(length) });

    // How much a run directory with one checkpoint takes, measured on an ordinary disk.
    const probe = join(root, "probe");
    await runJob(configFor(probe), { builtins: [rewards] });
    const oneCheckpoint = await pagesOf(join(probe, "checkpoints", "step-000001"));
    // The stage's output model (probe/model) is written after training: it takes no room while checkpoints are written.
    const everythingElse = (await pagesOf(probe)) - 3 * oneCheckpoint - (await pagesOf(join(probe, "model")));

    // A disk with room for the run's files and one checkpoint and a half, not two.
    // R1TS_DISK_FULL_INJECTED=1 takes the injected path even where a tmpfs can be mounted.
    mounted = process.env.R1TS_DISK_FULL_INJECTED !== "1" && tryMount(everythingElse + 1.5 * oneCheckpoint);
    console.log(`disk-full test: ${mounted ? "a real tmpfs" : "injected ENOSPC"}`);
    const runDir = join(mountPoint, "run");
    if (!mounted) {
      injected.on = true;
      injected.failAfter = join(runDir, "checkpoints", "step-000002");
    }
    const error = await runJob(configFor(runDir), { builtins: [rewards] }).catch((e) => e);
    // The checkpoint is written by a trainer hook tap, so it may arrive wrapped in the HookError naming that tap.
    expect(error instanceof CheckpointError ? error : error.cause).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain(join(runDir, "checkpoints", "step-000002"));
    expect(error.message).toMatch(/cannot write it: no space left on the device \(ENOSPC\); free some space, then resume the run/);

    // The first checkpoint is whole, and the failed one left nothing behind.
    expect(await readdir(join(runDir, "checkpoints"))).toEqual(["step-000001"]);
    const first = await loadCheckpoint(join(runDir, "checkpoints", "step-000001"));
    expect(first.trainerState?.step).toBe(1);
    expect(await latestCheckpoint(runDir)).toBe(join(runDir, "checkpoints", "step-000001"));

    // Room again: the run resumes from step 1 and finishes.
    if (mounted) execFileSync("mount", ["-o", "remount,size=64m", mountPoint]);
    else injected.on = false;
    const summary = await runJob(configFor(runDir), { builtins: [rewards], resumeDir: runDir });
    expect(summary.steps).toBe(3);
    expect((await readdir(join(runDir, "checkpoints"))).sort()).toEqual(["step-000001", "step-000002", "step-000003"]);
    vi.doUnmock("node:fs/promises");
  }, 120_000);
});
