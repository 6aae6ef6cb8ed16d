/**
 * Where a trainer keeps its checkpoints. The trainer only asks a store to save the checkpoint of a step,
 * to list what it holds, to load one and to delete one; the default store keeps each checkpoint as a
 * directory `<root>/checkpoints/step-000123` (io/checkpoint.ts, written atomically), and another store
 * (object storage, a shared disk) can replace it through the run's container.
 *
 * `latestValidCheckpoint` is how every resume finds its starting point: the newest checkpoint that loads;
 * a newer one that is truncated or corrupt is reported and skipped, so training continues from the one
 * before it (and rewrites the broken one when it gets there).
 */
import { rm } from "node:fs/promises";
import { type Checkpoint, checkpointPath, listCheckpoints, loadCheckpoint, saveCheckpoint } from "../io/checkpoint.ts";

export interface StoredCheckpoint {
  /** Steps done when it was saved. */
  readonly step: number;
  /** Where it is (a directory for the default store); what `load` and `remove` take. */
  readonly location: string;
}

export interface CheckpointStore {
  /** Where the checkpoint of `step` is (or would be) saved. */
  location(step: number): string;
  save(step: number, checkpoint: Checkpoint): Promise<string>;
  load(location: string): Promise<Checkpoint>;
  /** Every checkpoint held, newest first. */
  list(): Promise<StoredCheckpoint[]>;
  remove(location: string): Promise<void>;
}

/** `<root>/checkpoints/step-NNNNNN` directories. */
export class DirectoryCheckpointStore implements CheckpointStore {
  constructor(readonly root: string) {}

  location(step: number): string {
    return checkpointPath(this.root, step);
  }

  async save(step: number, checkpoint: Checkpoint): Promise<string> {
    const dir = this.location(step);
    await saveCheckpoint(dir, checkpoint);
    return dir;
  }

  load(location: string): Promise<Checkpoint> {
    return loadCheckpoint(location);
  }

  async list(): Promise<StoredCheckpoint[]> {
    return (await listCheckpoints(this.root)).map(({ step, dir }) => ({ step, location: dir }));
  }

  async remove(location: string): Promise<void> {
    await rm(location, { recursive: true, force: true });
  }
}

/** Makes the checkpoint store of a directory (a stage's, a run's); a plugin replaces the default through the run's container. */
export interface CheckpointStoreFactory {
  readonly name: string;
  create(dir: string): CheckpointStore;
}

export const directoryCheckpointStoreFactory: CheckpointStoreFactory = Object.freeze({
  name: "directory",
  create: (dir: string) => new DirectoryCheckpointStore(dir),
});

export interface LoadedCheckpoint extends StoredCheckpoint {
  readonly checkpoint: Checkpoint;
}

/** The newest checkpoint that loads; each newer one that does not is reported through `warn` and skipped. */
export async function latestValidCheckpoint(store: CheckpointStore, warn: (message: string) => void = () => {}): Promise<LoadedCheckpoint | undefined> {
  for (const stored of await store.list()) {
    try {
      return { ...stored, checkpoint: await store.load(stored.location) };
    } catch (error) {
      warn(`checkpoint ${stored.location} cannot be used (${(error as Error).message}); trying the one before it`);
    }
  }
  return undefined;
}

/** Deletes all but the newest `keep` checkpoints. */
export async function pruneCheckpoints(store: CheckpointStore, keep: number): Promise<void> {
  for (const old of (await store.list()).slice(Math.max(1, keep))) await store.remove(old.location);
}
