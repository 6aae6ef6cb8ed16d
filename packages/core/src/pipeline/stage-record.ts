/**
 * What a stage leaves in its directory to say how far it got:
 *   started.json  written when an attempt starts: the fingerprint of the work (a re-run with the same
 *                 fingerprint resumes from the newest checkpoint; another fingerprint starts afresh)
 *   stage.json    written last, when the stage completed: its fingerprint, inputs, outputs with their
 *                 fingerprints, evaluation, metrics, tokens and seconds (a re-run with the same
 *                 fingerprint and untouched outputs skips the stage)
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic-write.ts";
import type { ArtifactKind } from "./artifact.ts";
import type { EvalReport } from "../eval/eval-report.ts";

export const STAGE_FILES = { record: "stage.json", started: "started.json" } as const;

export interface StageRecord {
  id: string;
  stage: string;
  version: string;
  fingerprint: string;
  inputs: Record<string, { ref: string; fingerprint: string; path: string }>;
  /** Paths relative to the run directory. */
  outputs: Record<string, { kind: ArtifactKind; path: string; fingerprint: string }>;
  /** Held-out evaluation of the model it made (when evaluated). */
  eval?: EvalReport;
  metrics: Record<string, number | null>;
  tokens: { generated: number; trained: number };
  note?: string;
  /** Wall-clock seconds of the attempt that completed it (a resumed attempt counts only its own time). */
  seconds: number;
  attempts: number;
  resumedFrom?: string;
}

export interface StartedRecord {
  fingerprint: string;
  /** 1 for the first attempt, 2 when it resumes an interrupted one, ... */
  attempts: number;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

export const readStageRecord = (dir: string) => readJson<StageRecord>(join(dir, STAGE_FILES.record));
export const readStartedRecord = (dir: string) => readJson<StartedRecord>(join(dir, STAGE_FILES.started));

export async function writeStageRecord(dir: string, record: StageRecord): Promise<void> {
  await writeFileAtomic(join(dir, STAGE_FILES.record), JSON.stringify(record, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
}

export async function writeStartedRecord(dir: string, record: StartedRecord): Promise<void> {
  await writeFileAtomic(join(dir, STAGE_FILES.started), JSON.stringify(record, null, 2) + "\n");
}
