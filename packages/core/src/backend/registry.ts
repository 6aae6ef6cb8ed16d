/**
 * The backend registry: backends register a factory with a priority; `setBackend("auto")` tries them
 * from the highest priority down and keeps the first that initialises, recording why others were skipped.
 *
 * Backend packages can also be registered lazily (`registerBackendLoader`): the package is imported only
 * when a backend it provides is asked for by name, or when `auto` looks for the best one. So a program
 * that knows every backend package (the CLI) loads none of them until it runs a model, and only the
 * one it runs on (a run on tfjs never starts Dawn).
 */
import { BackendError } from "../errors.ts";
import { engine } from "../tensor/engine.ts";
import type { Backend, BackendFactory } from "./backend.ts";
import { createReferenceBackend, referenceBackendFactory } from "./reference/index.ts";

const factories = new Map<string, BackendFactory>();
const instances = new Map<string, Backend>();

export interface BackendAttempt {
  name: string;
  priority: number;
  ok: boolean;
  /** Why it was skipped (the error it raised). */
  reason?: string;
}

export interface BackendSelection {
  chosen: string;
  attempts: BackendAttempt[];
}

let lastSelection: BackendSelection | null = null;

/** A backend package to import when one of its backends is asked for. */
export interface BackendLoader {
  /** What it provides, for messages ("tfjs, tfjs-gpu, ..."). */
  readonly description: string;
  /** Whether it provides the backend `name`. */
  provides(name: string): boolean;
  /** Imports the package (which registers its factories). */
  load(): Promise<unknown>;
}

const loaders: { loader: BackendLoader; loaded?: Promise<unknown> }[] = [];

export function registerBackendLoader(loader: BackendLoader): void {
  loaders.push({ loader });
}

/** The backend packages imported so far by their loaders (their descriptions). */
export function loadedBackendPackages(): string[] {
  return loaders.filter((e) => e.loaded !== undefined).map((e) => e.loader.description);
}

/** Imports the packages that provide `name` (every registered one for "auto"), each once. */
async function loadBackendPackages(name: string): Promise<void> {
  for (const entry of loaders) {
    if (name !== "auto" && (factories.has(name) || !entry.loader.provides(name))) continue;
    entry.loaded ??= entry.loader.load();
    await entry.loaded;
  }
}

export function registerBackend(factory: BackendFactory): void {
  factories.set(factory.name, factory);
  instances.delete(factory.name);
}

/**
 * Backends known to one run only (those its plugins registered): they are found by the registry's
 * functions given the scope, and by nothing else, so two runs never see each other's plugin backends.
 */
export type BackendScope = ReadonlyMap<string, BackendFactory>;

const scopedInstances = new WeakMap<BackendScope, Map<string, Backend>>();

export function registeredBackends(scope?: BackendScope): BackendFactory[] {
  const all = new Map(factories);
  for (const [name, f] of scope ?? []) all.set(name, f);
  return [...all.values()].sort((a, b) => b.priority - a.priority);
}

/** Creates (once) and returns the backend `name` (a scope's first, then the global ones) without making it current. */
export async function getBackend(name: string, options?: Record<string, unknown>, scope?: BackendScope): Promise<Backend> {
  const scoped = scope?.get(name);
  const cache = scoped ? scopedInstanceCache(scope!) : instances;
  const cached = cache.get(name);
  if (cached && options === undefined) return cached;
  if (!scoped && !factories.has(name)) await loadBackendPackages(name);
  const factory = scoped ?? factories.get(name);
  if (!factory) {
    const known = registeredBackends(scope).map((f) => f.name).join(", ");
    throw new BackendError(`unknown backend "${name}". Registered: ${known}. A backend package registers itself when imported (e.g. import "@r1ts/backend-webgpu"), or a run's plugin registers it.`);
  }
  const backend = await factory.create(options);
  if (options === undefined) cache.set(name, backend);
  return backend;
}

function scopedInstanceCache(scope: BackendScope): Map<string, Backend> {
  let cache = scopedInstances.get(scope);
  if (!cache) scopedInstances.set(scope, (cache = new Map()));
  return cache;
}

/**
 * Makes `name` the current backend. "auto" picks the highest-priority backend that initialises;
 * `lastBackendSelection()` then tells which one and why the others were skipped. `scope`: a run's own
 * backends (its plugins'), searched first.
 */
export async function setBackend(name: string, options?: Record<string, unknown>, scope?: BackendScope): Promise<Backend> {
  if (name !== "auto") {
    const backend = await getBackend(name, options, scope);
    engine.useBackend(backend);
    lastSelection = { chosen: name, attempts: [{ name, priority: (scope?.get(name) ?? factories.get(name))!.priority, ok: true }] };
    return backend;
  }
  await loadBackendPackages("auto");
  const attempts: BackendAttempt[] = [];
  for (const factory of registeredBackends(scope)) {
    try {
      const backend = await getBackend(factory.name, options, scope);
      attempts.push({ name: factory.name, priority: factory.priority, ok: true });
      engine.useBackend(backend);
      lastSelection = { chosen: factory.name, attempts };
      return backend;
    } catch (error) {
      attempts.push({ name: factory.name, priority: factory.priority, ok: false, reason: (error as Error).message });
    }
  }
  throw new BackendError(`no backend could start:\n${attempts.map((a) => `  ${a.name}: ${a.reason}`).join("\n")}`);
}

export function lastBackendSelection(): BackendSelection | null {
  return lastSelection;
}

registerBackend(referenceBackendFactory);
// The reference backend is current from the start, so tensors can be made without any set-up.
if (!engine.hasBackend()) {
  const reference = createReferenceBackend();
  instances.set("reference", reference);
  engine.useBackend(reference);
}
