/** Memory management at the top level: scopes, keep, dispose, counts. */
import { engine } from "./tensor/engine.ts";
import type { MemoryInfo } from "./tensor/engine.ts";
import { Tensor } from "./tensor/tensor.ts";

/** Runs `fn` and disposes every tensor it made except those it returns (like tf.tidy). */
export function tidy<T>(fn: () => T): T {
  return engine.tidy(fn);
}

/** Exempts `t` from the enclosing scopes' clean-up. */
export function keep<T extends Tensor>(t: T): T {
  return engine.keep(t);
}

/** Disposes tensors found in `value` (a tensor, or arrays/objects of tensors). */
export function dispose(value: unknown): void {
  if (value instanceof Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(dispose);
  else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach(dispose);
}

export function memory(): MemoryInfo {
  return engine.memory();
}

/** The most bytes live tensors have held since the start or `resetPeakMemory()` (torch.cuda.max_memory_allocated). */
export function peakMemoryBytes(): number {
  return engine.peakBytes();
}

/** Starts a new high-water mark for `peakMemoryBytes()` (like torch.cuda.reset_peak_memory_stats). */
export function resetPeakMemory(): void {
  engine.resetPeakMemory();
}

/** Runs `fn` without recording gradients. */
export function noGrad<T>(fn: () => T): T {
  return engine.noGrad(fn);
}
