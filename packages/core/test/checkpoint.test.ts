import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type FileWriter, writeAndSync } from "../src/io/atomic-write.ts";
import {
  type Checkpoint,
  CheckpointError,
  checkpointDirName,
  checkpointPath,
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from "../src/io/checkpoint.ts";
import { serializeSafetensors } from "../src/io/safetensors.ts";

const roots: string[] = [];
let runDir: string;
beforeEach(async () => {
  runDir = await mkdtemp(join(tmpdir(), "r1ts-ckpt-"));
  roots.push(runDir);
});
afterAll(async () => {
  for (const dir of roots) await rm(dir, { recursive: true, force: true });
});

function sampleCheckpoint(step: number): Checkpoint {
  return {
    weights: {
      "model.embed_tokens.weight": { dtype: "f32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, step]) },
      "model.norm.weight": { dtype: "bf16", shape: [3], data: new Uint16Array([0x3f80, 0x4040, 0x0000]) },
    },
    config: { dim: 3, vocabSize: 2, moe: { experts: 4, topK: 2 }, name: "tiny" },
    optimizer: {
      tensors: {
        "exp_avg.model.embed_tokens.weight": { dtype: "f32", shape: [2, 3], data: new Float32Array(6).fill(0.5) },
        "exp_avg_sq.model.embed_tokens.weight": { dtype: "f32", shape: [2, 3], data: new Float32Array(6).fill(0.25) },
      },
      state: { step, betas: [0.9, 0.95], lr: 3e-4, kind: "adamw", schedule: { warmup: 10 } },
    },
    trainerState: { step, rng: { data: [1, 2, 3, 4] }, bestReward: 0.75 },
  };
}

/** A writer that writes half of `failOn`, then throws, as if the process died mid-write. */
function crashingWriter(failOn: string): FileWriter {
  return async (path, data) => {
    if (path.endsWith(failOn)) {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      await writeFile(path, bytes.subarray(0, bytes.length >> 1));
      throw new Error("simulated crash");
    }
    await writeAndSync(path, data);
  };
}

async function loadError(dir: string): Promise<CheckpointError> {
  try {
    await loadCheckpoint(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toContain(dir);
    return error as CheckpointError;
  }
  throw new Error("expected loadCheckpoint to fail");
}

describe("checkpoint round trip", () => {
  it("saves and loads weights, config, optimizer state and trainer state", async () => {
    const dir = checkpointPath(runDir, 7);
    const ckpt = sampleCheckpoint(7);
    await saveCheckpoint(dir, ckpt);
    expect((await readdir(dir)).sort()).toEqual([
      "config.json",
      "model.safetensors",
      "optimizer.safetensors",
      "trainer_state.json",
    ]);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config).toEqual(ckpt.config);
    expect(loaded.trainerState).toEqual(ckpt.trainerState);
    expect(loaded.optimizer!.state).toEqual(ckpt.optimizer!.state);
    for (const [source, target] of [
      [ckpt.weights, loaded.weights],
      [ckpt.optimizer!.tensors, loaded.optimizer!.tensors],
    ]) {
      expect(Object.keys(target).sort()).toEqual(Object.keys(source).sort());
      for (const [name, t] of Object.entries(source)) {
        expect(target[name].dtype).toBe(t.dtype);
        expect(target[name].shape).toEqual(t.shape);
        expect(Array.from(target[name].data)).toEqual(Array.from(t.data));
      }
    }
  });

  it("omits the optional files when there is no optimizer or trainer state", async () => {
    const dir = join(runDir, "plain");
    await saveCheckpoint(dir, { weights: sampleCheckpoint(1).weights, config: [1, "two"] });
    expect((await readdir(dir)).sort()).toEqual(["config.json", "model.safetensors"]);
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config).toEqual([1, "two"]);
    expect(loaded.optimizer).toBeUndefined();
    expect(loaded.trainerState).toBeUndefined();
  });

  it("rejects state that is not JSON, naming the file", async () => {
    const bad = { weights: {}, config: {}, optimizer: { tensors: {}, state: { f: () => 1 } } };
    await expect(saveCheckpoint(join(runDir, "x"), bad)).rejects.toThrow(/optimizer\.safetensors: optimizer state "f"/);
    await expect(readdir(runDir)).resolves.toEqual([]);
  });
});

describe("latestCheckpoint", () => {
  it("names folders step-000123", () => {
    expect(checkpointDirName(123)).toBe("step-000123");
    expect(checkpointDirName(1234567)).toBe("step-1234567");
    expect(() => checkpointDirName(-1)).toThrow(RangeError);
  });

  it("finds the newest step folder and ignores everything else", async () => {
    expect(await latestCheckpoint(runDir)).toBeUndefined(); // no checkpoints folder yet
    const root = join(runDir, "checkpoints");
    for (const name of ["step-000002", "step-999999", "step-1000000", "step-000010"]) await mkdir(join(root, name), { recursive: true });
    await mkdir(join(root, "step-2000000.tmp-1-abcd"));
    await mkdir(join(root, "step-3000000.old-1-abcd"));
    await mkdir(join(root, "other"));
    await writeFile(join(root, "step-4000000"), "a file, not a folder");
    expect(await latestCheckpoint(runDir)).toBe(join(root, "step-1000000"));
  });
});

describe("crash safety", () => {
  it("a crash while replacing a checkpoint leaves the previous one intact", async () => {
    const dir = checkpointPath(runDir, 10);
    await saveCheckpoint(dir, sampleCheckpoint(10));
    const next = sampleCheckpoint(999);
    await expect(saveCheckpoint(dir, next, { writeFile: crashingWriter("optimizer.safetensors") })).rejects.toThrow(
      "simulated crash",
    );
    const loaded = await loadCheckpoint(dir);
    expect(loaded.trainerState!.step).toBe(10);
    expect(loaded.weights["model.embed_tokens.weight"].data[5]).toBe(10);
    expect(await readdir(join(runDir, "checkpoints"))).toEqual(["step-000010"]);
  });

  it("a crash while writing a new checkpoint leaves no half directory visible", async () => {
    await saveCheckpoint(checkpointPath(runDir, 10), sampleCheckpoint(10));
    const attempt = saveCheckpoint(checkpointPath(runDir, 20), sampleCheckpoint(20), {
      writeFile: crashingWriter("trainer_state.json"),
    });
    await expect(attempt).rejects.toThrow("simulated crash");
    expect(await readdir(join(runDir, "checkpoints"))).toEqual(["step-000010"]);
    expect(await latestCheckpoint(runDir)).toBe(checkpointPath(runDir, 10));
  });

  it("leftovers of a killed process (no cleanup) are never picked up", async () => {
    await saveCheckpoint(checkpointPath(runDir, 10), sampleCheckpoint(10));
    const leftover = `${checkpointPath(runDir, 30)}.tmp-4242-deadbeef`;
    await mkdir(leftover);
    await writeFile(join(leftover, "model.safetensors"), new Uint8Array(12));
    expect(await latestCheckpoint(runDir)).toBe(checkpointPath(runDir, 10));
    await saveCheckpoint(checkpointPath(runDir, 40), sampleCheckpoint(40));
    expect(await latestCheckpoint(runDir)).toBe(checkpointPath(runDir, 40));
  });
});

describe("missing and corrupt files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = checkpointPath(runDir, 5);
    await saveCheckpoint(dir, sampleCheckpoint(5));
  });

  it("names a missing required file", async () => {
    await rm(join(dir, "config.json"));
    const error = await loadError(dir);
    expect(error.file).toBe("config.json");
    expect(error.message).toBe(`checkpoint ${dir}, file config.json: file is missing`);
    const missingDir = await loadError(join(runDir, "nope"));
    expect(missingDir.message).toMatch(/file model\.safetensors: file is missing/);
  });

  it("names a truncated weights file", async () => {
    await writeFile(join(dir, "model.safetensors"), new Uint8Array([1, 2, 3]));
    const error = await loadError(dir);
    expect(error.file).toBe("model.safetensors");
    expect(error.message).toMatch(/file model\.safetensors: corrupt safetensors: .*file is 3 bytes/);
  });

  it("names a corrupt optimizer file", async () => {
    const bytes = serializeSafetensors({}, { step: "{not json" });
    await writeFile(join(dir, "optimizer.safetensors"), bytes);
    const error = await loadError(dir);
    expect(error.message).toMatch(/file optimizer\.safetensors: optimizer state "step" is not valid JSON/);
    await writeFile(join(dir, "optimizer.safetensors"), bytes.subarray(0, 20));
    expect((await loadError(dir)).message).toMatch(/file optimizer\.safetensors: corrupt safetensors/);
  });

  it("names corrupt JSON files", async () => {
    await writeFile(join(dir, "config.json"), "{ broken");
    expect((await loadError(dir)).message).toMatch(/file config\.json: corrupt JSON/);
    await writeFile(join(dir, "config.json"), "{}");
    await writeFile(join(dir, "trainer_state.json"), "[1, 2]");
    expect((await loadError(dir)).message).toMatch(/file trainer_state\.json: must hold a JSON object/);
  });
});
