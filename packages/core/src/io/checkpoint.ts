/**
 * Training checkpoints. A checkpoint is one directory:
 *
 *   model.safetensors      the weights (HF-compatible parameter names)
 *   config.json            the model config (any JSON)
 *   optimizer.safetensors  optional: optimizer state tensors (e.g. `exp_avg.<param>`); the non-tensor
 *                          state is in its metadata, one JSON-encoded value per key
 *   trainer_state.json     optional: step, RNG states, anything JSON
 *
 * The directory is written atomically (writeDirAtomic), so a crash never leaves a half checkpoint.
 * Runs keep checkpoints in `<runDir>/checkpoints/step-000123`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { R1tsError } from "../errors.ts";
import { type AtomicWriteOptions, writeDirAtomic } from "./atomic-write.ts";
import { type HostTensor, parseSafetensors, serializeSafetensors } from "./safetensors.ts";

export interface Checkpoint {
  weights: Record<string, HostTensor>;
  config: unknown;
  optimizer?: { tensors: Record<string, HostTensor>; state: Record<string, unknown> };
  trainerState?: Record<string, unknown>;
}

export const CHECKPOINT_FILES = {
  weights: "model.safetensors",
  config: "config.json",
  optimizer: "optimizer.safetensors",
  trainerState: "trainer_state.json",
} as const;

/** A checkpoint that cannot be written or read; names the checkpoint directory and the file. */
export class CheckpointError extends R1tsError {
  constructor(
    readonly dir: string,
    readonly file: string | undefined,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`checkpoint ${dir}${file === undefined ? "" : `, file ${file}`}: ${problem}`, options);
  }
}

const STEP_DIR = /^step-(\d+)$/;

/** The folder name of the checkpoint at `step`: `step-000123` (at least six digits). */
export function checkpointDirName(step: number): string {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`checkpoint step must be a non-negative integer, got ${step}`);
  return `step-${String(step).padStart(6, "0")}`;
}

/** Where a run keeps the checkpoint of `step`: `<runDir>/checkpoints/step-000123`. */
export function checkpointPath(runDir: string, step: number): string {
  return join(runDir, "checkpoints", checkpointDirName(step));
}

function toJson(dir: string, file: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (error) {
    throw new CheckpointError(dir, file, `value is not JSON-serialisable (${(error as Error).message})`, { cause: error });
  }
  if (text === undefined) throw new CheckpointError(dir, file, "value is not JSON-serialisable (undefined or a function)");
  return text + "\n";
}

function safetensorsBytes(dir: string, file: string, tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  try {
    return serializeSafetensors(tensors, metadata);
  } catch (error) {
    throw new CheckpointError(dir, file, (error as Error).message, { cause: error });
  }
}

/** Write (or atomically replace) the checkpoint directory `dir`. */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint, options: AtomicWriteOptions = {}): Promise<void> {
  const files: Record<string, Uint8Array | string> = {
    [CHECKPOINT_FILES.weights]: safetensorsBytes(dir, CHECKPOINT_FILES.weights, ckpt.weights),
    [CHECKPOINT_FILES.config]: toJson(dir, CHECKPOINT_FILES.config, ckpt.config ?? null),
  };
  if (ckpt.optimizer !== undefined) {
    const file = CHECKPOINT_FILES.optimizer;
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(ckpt.optimizer.state)) {
      const text = JSON.stringify(value);
      if (text === undefined) throw new CheckpointError(dir, file, `optimizer state "${key}" is not JSON-serialisable`);
      metadata[key] = text;
    }
    files[file] = safetensorsBytes(dir, file, ckpt.optimizer.tensors, metadata);
  }
  if (ckpt.trainerState !== undefined) {
    files[CHECKPOINT_FILES.trainerState] = toJson(dir, CHECKPOINT_FILES.trainerState, ckpt.trainerState);
  }
  try {
    await writeDirAtomic(dir, files, options);
  } catch (error) {
    throw new CheckpointError(dir, undefined, `cannot write it: ${writeProblem(error)}; nothing was replaced (an earlier checkpoint in its place, and every other checkpoint, is intact)`, { cause: error });
  }
}

/** What a failed write means for the user: a full disk, a quota, a read-only file system, or the message. */
function writeProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "ENOSPC") return "no space left on the device (ENOSPC); free some space, then resume the run (r1ts run --resume RUN_DIR)";
  if (code === "EDQUOT") return "the disk quota is exceeded (EDQUOT); free some space, then resume the run";
  if (code === "EROFS") return "the file system is read-only (EROFS)";
  return (error as Error)?.message ?? String(error);
}

/** The bytes of `dir/file`, or undefined if it is absent and optional. */
async function readCheckpointFile(dir: string, file: string, required: boolean): Promise<Uint8Array | undefined> {
  try {
    return await readFile(join(dir, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return undefined;
    const problem = code === "ENOENT" ? "file is missing" : `cannot read file (${(error as Error).message})`;
    throw new CheckpointError(dir, file, problem, { cause: error });
  }
}

function parseJson(dir: string, file: string, bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(dir, file, "corrupt JSON (the bytes are not valid UTF-8)");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(dir, file, `corrupt JSON (${(error as Error).message})`, { cause: error });
  }
}

function parseTensors(dir: string, file: string, bytes: Uint8Array) {
  try {
    return parseSafetensors(bytes, file);
  } catch (error) {
    throw new CheckpointError(dir, file, `corrupt safetensors: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads only `dir/config.json` of a checkpoint (no weights); a missing or corrupt file is a CheckpointError. */
export async function readCheckpointConfig(dir: string): Promise<unknown> {
  return parseJson(dir, CHECKPOINT_FILES.config, (await readCheckpointFile(dir, CHECKPOINT_FILES.config, true))!);
}

/** Read the checkpoint directory `dir`. Missing or corrupt files fail with a CheckpointError. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const weightsBytes = await readCheckpointFile(dir, CHECKPOINT_FILES.weights, true);
  const configBytes = await readCheckpointFile(dir, CHECKPOINT_FILES.config, true);
  const ckpt: Checkpoint = {
    weights: parseTensors(dir, CHECKPOINT_FILES.weights, weightsBytes!).tensors,
    config: parseJson(dir, CHECKPOINT_FILES.config, configBytes!),
  };

  const optimizerBytes = await readCheckpointFile(dir, CHECKPOINT_FILES.optimizer, false);
  if (optimizerBytes !== undefined) {
    const file = CHECKPOINT_FILES.optimizer;
    const { tensors, metadata } = parseTensors(dir, file, optimizerBytes);
    const state: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(metadata)) {
      try {
        Object.defineProperty(state, key, { value: JSON.parse(text), enumerable: true, writable: true, configurable: true });
      } catch (error) {
        throw new CheckpointError(dir, file, `optimizer state "${key}" is not valid JSON`, { cause: error });
      }
    }
    ckpt.optimizer = { tensors, state };
  }

  const trainerBytes = await readCheckpointFile(dir, CHECKPOINT_FILES.trainerState, false);
  if (trainerBytes !== undefined) {
    const value = parseJson(dir, CHECKPOINT_FILES.trainerState, trainerBytes);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new CheckpointError(dir, CHECKPOINT_FILES.trainerState, "must hold a JSON object");
    }
    ckpt.trainerState = value as Record<string, unknown>;
  }
  return ckpt;
}

/**
 * The checkpoints of a run, newest first: every `<runDir>/checkpoints/step-N` folder with its step.
 * Temporary and backup folders of an interrupted write (`step-N.tmp-*`, `step-N.old-*`) do not match
 * and are ignored.
 */
export async function listCheckpoints(runDir: string): Promise<{ step: number; dir: string }[]> {
  const root = join(runDir, "checkpoints");
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return entries
    .flatMap((entry) => {
      const match = STEP_DIR.exec(entry.name);
      return match !== null && entry.isDirectory() ? [{ step: Number(match[1]), dir: join(root, entry.name) }] : [];
    })
    .sort((a, b) => b.step - a.step);
}

/** The newest checkpoint of a run (the step-N folder with the largest N), or undefined if there is none. */
export async function latestCheckpoint(runDir: string): Promise<string | undefined> {
  return (await listCheckpoints(runDir))[0]?.dir;
}
