/**
 * The policy versions a worker holds: each loaded once from its weight store (concurrent jobs that
 * need the same version share one load) and kept until `capacity` newer ones push it out. A version in
 * use by a running job is never disposed under it.
 */
import { TransformerLM, parseSafetensors } from "@r1ts/core";
import { openWeightStore } from "../weights/open-weight-store.ts";
import type { PolicyModel, WeightStore } from "../weights/weight-store.ts";

interface Entry {
  model: Promise<TransformerLM>;
  users: number;
  lastUsed: number;
}

export class PolicyCache {
  private readonly stores = new Map<string, { store: WeightStore; model?: Promise<PolicyModel> }>();
  private readonly entries = new Map<string, Entry>();
  private clock = 0;

  constructor(private readonly capacity = 2, private readonly log: (line: string) => void = () => {}) {}

  /** The policy of `version` from the store at `url`; call `release` when done with it. */
  async acquire(url: string, version: number): Promise<TransformerLM> {
    const key = `${url}#${version}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { model: this.load(url, version), users: 0, lastUsed: 0 };
      this.entries.set(key, entry);
      entry.model.catch(() => this.entries.delete(key)); // a failed load is tried again by the next job
    }
    entry.users++;
    entry.lastUsed = ++this.clock;
    try {
      const model = await entry.model;
      this.evict();
      return model;
    } catch (error) {
      entry.users--;
      throw error;
    }
  }

  release(url: string, version: number): void {
    const entry = this.entries.get(`${url}#${version}`);
    if (entry) entry.users--;
    this.evict();
  }

  /** Versions loaded now (store URL#version). */
  loaded(): string[] {
    return [...this.entries.keys()];
  }

  private async load(url: string, version: number): Promise<TransformerLM> {
    let source = this.stores.get(url);
    if (!source) {
      source = { store: openWeightStore(url) };
      this.stores.set(url, source);
    }
    source.model ??= source.store.getModel();
    source.model.catch(() => (source.model = undefined));
    const started = performance.now();
    const [{ model: config }, bytes] = await Promise.all([source.model, source.store.get(version)]);
    const model = new TransformerLM(config);
    model.loadStateDict(parseSafetensors(bytes, `${url} version ${version}`).tensors);
    this.log(`loaded policy version ${version} from ${url} (${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, ${((performance.now() - started) / 1000).toFixed(2)} s)`);
    return model;
  }

  private evict(): void {
    const idle = [...this.entries.entries()].filter(([, e]) => e.users <= 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let excess = this.entries.size - this.capacity;
    for (const [key, entry] of idle) {
      if (excess <= 0) break;
      this.entries.delete(key);
      entry.model.then((m) => m.dispose(), () => {});
      excess--;
    }
  }

  async close(): Promise<void> {
    for (const entry of this.entries.values()) entry.model.then((m) => m.dispose(), () => {});
    this.entries.clear();
    for (const { store } of this.stores.values()) await store.close();
    this.stores.clear();
  }
}
