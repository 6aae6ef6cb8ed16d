/**
 * Where the trainer publishes each policy version for the workers: the model's config once, then the
 * weights of every version as safetensors bytes. Three stores share this interface: a directory (on a
 * shared file system), an HTTP server (GET/PUT/DELETE of files, like an S3-style bucket), and Redis
 * itself (small models). A store is named by a URL that every worker can open (`openWeightStore`).
 */
import type { TransformerConfig } from "@r1ts/core";

/** What a worker needs besides the weights to rebuild the policy. */
export interface PolicyModel {
  model: TransformerConfig;
}

export interface WeightStore {
  /** The URL workers open this store with (it includes the run's namespace). */
  readonly url: string;
  putModel(model: PolicyModel): Promise<void>;
  getModel(): Promise<PolicyModel>;
  put(version: number, safetensors: Uint8Array): Promise<void>;
  /** The safetensors bytes of a version; a WeightStoreError when the store does not hold it. */
  get(version: number): Promise<Uint8Array>;
  has(version: number): Promise<boolean>;
  /** Deletes the versions below `keepFrom` (the ones this store knows of). */
  prune(keepFrom: number): Promise<void>;
  close(): Promise<void>;
}

/** The file (or key) name of a version: `v000012.safetensors`. */
export function versionName(version: number): string {
  return `v${String(version).padStart(6, "0")}.safetensors`;
}

export const MODEL_FILE = "model.json";

/** The version in a name made by versionName, else undefined. */
export function versionOf(name: string): number | undefined {
  const m = /^v(\d+)\.safetensors$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
