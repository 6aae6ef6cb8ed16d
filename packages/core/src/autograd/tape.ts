/**
 * The tape: while a gradient is being taken, every differentiable kernel call that depends on a watched
 * tensor is recorded with views of its inputs and outputs, so a user disposing intermediates inside
 * the function cannot break the backward pass.
 */
import type { KernelName } from "../backend/kernels.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { GradientContext } from "./registry.ts";

/**
 * Nodes known only to core, which never reach a backend: views and identity, and "Custom" nodes whose
 * gradient is a closure in their attributes (gradient checkpointing, custom gradients).
 */
export type ViewKernel = "Reshape" | "Identity" | "Custom";
export type TapeKernel = KernelName | ViewKernel;

/**
 * The gradient of a custom node: given the gradient of each output (null where none reaches it),
 * the gradient of each input (null where `needsGrad` is false or none flows).
 */
export type CustomGradient = (outputGrads: readonly (Tensor | null)[], ctx: GradientContext) => (Tensor | null)[];

export interface TapeNode {
  readonly kernel: TapeKernel;
  readonly attrs: Record<string, unknown>;
  /** Ids of the tensors the call received and produced (for routing gradients). */
  readonly inputIds: number[];
  readonly outputIds: number[];
  /** Views kept alive until the tape is disposed. */
  readonly inputs: Tensor[];
  readonly outputs: Tensor[];
}

export class Tape {
  readonly nodes: TapeNode[] = [];
  private readonly watched = new Set<number>();

  watch(t: Tensor): void {
    this.watched.add(t.id);
  }

  isWatched(t: Tensor): boolean {
    return this.watched.has(t.id);
  }

  dependsOnWatched(inputs: readonly Tensor[]): boolean {
    for (const t of inputs) if (this.watched.has(t.id)) return true;
    return false;
  }

  push(node: TapeNode): void {
    this.nodes.push(node);
    for (const id of node.outputIds) this.watched.add(id);
  }

  /** Releases every view the tape holds. */
  dispose(): void {
    for (const node of this.nodes) {
      for (const t of node.inputs) t.dispose();
      for (const t of node.outputs) t.dispose();
    }
    this.nodes.length = 0;
    this.watched.clear();
  }
}
