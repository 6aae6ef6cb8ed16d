/** A weight store in a directory (local, or a shared file system mounted on every machine): `file:///path`. */
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeFileAtomic } from "@r1ts/core";
import { WeightStoreError } from "../errors.ts";
import { MODEL_FILE, type PolicyModel, type WeightStore, versionName, versionOf } from "./weight-store.ts";

export class DirectoryWeightStore implements WeightStore {
  readonly url: string;
  readonly dir: string;

  constructor(dirOrUrl: string) {
    this.dir = dirOrUrl.startsWith("file:") ? fileURLToPath(dirOrUrl) : dirOrUrl;
    this.url = pathToFileURL(this.dir).href;
  }

  async putModel(model: PolicyModel): Promise<void> {
    await this.write(MODEL_FILE, JSON.stringify(model));
  }

  async getModel(): Promise<PolicyModel> {
    const bytes = await this.read(MODEL_FILE, "the model config (the trainer publishes it with its first rollouts)");
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as PolicyModel;
    } catch (error) {
      throw new WeightStoreError(`weight store ${this.url}: ${MODEL_FILE} is not valid JSON (${(error as Error).message})`);
    }
  }

  async put(version: number, safetensors: Uint8Array): Promise<void> {
    await this.write(versionName(version), safetensors);
  }

  get(version: number): Promise<Uint8Array> {
    return this.read(versionName(version), `policy version ${version}`);
  }

  async has(version: number): Promise<boolean> {
    return (await this.versions()).includes(version);
  }

  async prune(keepFrom: number): Promise<void> {
    for (const v of await this.versions()) if (v < keepFrom) await rm(join(this.dir, versionName(v)), { force: true });
  }

  async close(): Promise<void> {}

  private async versions(): Promise<number[]> {
    try {
      return (await readdir(this.dir)).map(versionOf).filter((v): v is number => v !== undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new WeightStoreError(`weight store ${this.url}: cannot list ${this.dir} (${(error as Error).message})`);
    }
  }

  private async write(name: string, data: Uint8Array | string): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFileAtomic(join(this.dir, name), data);
    } catch (error) {
      throw new WeightStoreError(`weight store ${this.url}: cannot write ${name} (${(error as Error).message})`);
    }
  }

  private async read(name: string, what: string): Promise<Uint8Array> {
    try {
      const buffer = await readFile(join(this.dir, name));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      throw new WeightStoreError(`weight store ${this.url}: ${missing ? `does not hold ${what} (no ${name})` : `cannot read ${name} (${(error as Error).message})`}`);
    }
  }
}
