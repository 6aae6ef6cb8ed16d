/**
 * The backend registry: backends register a factory with a priority; `setBackend("auto")` tries them
 * from the highest priority down and keeps the first that initialises, recording why others were skipped.
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

export function registerBackend(factory: BackendFactory): void {
  factories.set(factory.name, factory);
  instances.delete(factory.name);
}

export function registeredBackends(): BackendFactory[] {
  return [...factories.values()].sort((a, b) => b.priority - a.priority);
}

/** Creates (once) and returns the backend `name` without making it current. */
export async function getBackend(name: string, options?: Record<string, unknown>): Promise<Backend> {
  const cached = instances.get(name);
  if (cached && options === undefined) return cached;
  const factory = factories.get(name);
  if (!factory) {
    const known = [...factories.keys()].join(", ");
    throw new BackendError(`unknown backend "${name}". Registered: ${known}. A backend package registers itself when imported (e.g. import "@r1ts/backend-webgpu").`);
  }
  const backend = await factory.create(options);
  if (options === undefined) instances.set(name, backend);
  return backend;
}

/**
 * Makes `name` the current backend. "auto" picks the highest-priority backend that initialises;
 * `lastBackendSelection()` then tells which one and why the others were skipped.
 */
export async function setBackend(name: string, options?: Record<string, unknown>): Promise<Backend> {
  if (name !== "auto") {
    const backend = await getBackend(name, options);
    engine.useBackend(backend);
    lastSelection = { chosen: name, attempts: [{ name, priority: factories.get(name)!.priority, ok: true }] };
    return backend;
  }
  const attempts: BackendAttempt[] = [];
  for (const factory of registeredBackends()) {
    try {
      const backend = await getBackend(factory.name, options);
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
