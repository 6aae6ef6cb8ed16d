/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Algorithm 2):
 *   m_t = b1 m + (1 - b1) g;  v_t = b2 v + (1 - b2) g^2;  m^ = m_t / (1 - b1^t);  v^ = v_t / (1 - b2^t)
 *   p_t = p - lr (m^ / (sqrt(v^) + eps) + wd p)
 * The update runs through the fused `adamwUpdate` op. First and second moments are Variables per
 * parameter, saved in checkpoints as `exp_avg.<param>` and `exp_avg_sq.<param>` (PyTorch's names).
 */
import { ShapeError } from "../errors.ts";
import { adamwUpdate } from "../ops/fused/index.ts";
import { variable, zeros } from "../ops/creation.ts";
import { dispose } from "../memory.ts";
import { engine } from "../tensor/engine.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import type { HostTensor } from "../io/safetensors.ts";

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay coefficient (default 0.01, as torch.optim.AdamW). */
  weightDecay?: number;
  /** Which parameters decay (default: all). A common choice: only matrices, `(name, p) => p.rank >= 2`. */
  decay?: (name: string, param: Variable) => boolean;
}

/** The optimizer's state as a checkpoint holds it (`Checkpoint.optimizer`). */
export interface OptimizerState {
  tensors: Record<string, HostTensor>;
  state: Record<string, unknown>;
}

export interface StepOptions {
  /** The learning rate of this step (e.g. from a schedule); also becomes `optimizer.lr`. */
  lr?: number;
}

/** The hyperparameters of one `update`: numbers, or scalar tensors inside a captured step (see compile/). */
export interface UpdateOptions {
  lr: number | Tensor;
  /** 1-based step for the bias correction. */
  step: number | Tensor;
  /** With a tensor step: [1 - beta1^t, 1 - beta2^t] as f32 [2], computed on the host (`biasCorrections`) for the fused kernel's precision. */
  corrections?: Tensor;
}

export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly params: Map<string, Variable>;
  private readonly decays: Map<string, boolean>;
  private readonly m = new Map<string, Variable>();
  private readonly v = new Map<string, Variable>();
  private steps = 0;

  /** `params`: named parameters (e.g. `model.namedParameters()`), or a list (then named "0", "1", ...). */
  constructor(params: Map<string, Variable> | readonly Variable[], options: AdamWOptions) {
    const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, decay = () => true } = options;
    checkHyper("lr", lr, lr >= 0);
    checkHyper("beta1", beta1, beta1 >= 0 && beta1 < 1);
    checkHyper("beta2", beta2, beta2 >= 0 && beta2 < 1);
    checkHyper("eps", eps, eps >= 0);
    checkHyper("weightDecay", weightDecay, weightDecay >= 0);
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.params = params instanceof Map ? new Map(params) : new Map(params.map((p, i) => [String(i), p]));
    this.decays = new Map([...this.params].map(([name, p]) => [name, decay(name, p)]));
    for (const [name, p] of this.params) {
      if (p.dtype !== "f32") throw new ShapeError(`AdamW: parameter "${name}" is ${p.dtype}; only f32 parameters are supported`);
      this.m.set(name, makeState(p, `exp_avg.${name}`));
      this.v.set(name, makeState(p, `exp_avg_sq.${name}`));
    }
  }

  /** Steps taken so far (the next step's bias correction uses stepCount + 1). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * Applies one update. `grads`: by parameter name, or a list in the order of the parameters.
   * The gradients stay owned by the caller.
   */
  step(grads: Map<string, Tensor> | readonly Tensor[], { lr }: StepOptions = {}): void {
    if (lr !== undefined) {
      checkHyper("lr", lr, lr >= 0);
      this.lr = lr;
    }
    const t = this.steps + 1;
    this.update(grads, { lr: this.lr, step: t });
    this.steps = t;
  }

  /**
   * Applies the update of step `step` at `lr` to every trainable parameter and its moments, without
   * counting the step on the host: what a captured training step calls (with scalar tensors), followed
   * by `countStep()` after each run of the graph.
   */
  update(grads: Map<string, Tensor> | readonly Tensor[], { lr, step, corrections }: UpdateOptions): void {
    const byName = this.matchGrads(grads);
    engine.noGrad(() => {
      for (const [name, p] of this.params) {
        if (!p.trainable) continue; // e.g. the MoE routing bias: carried in checkpoints, updated by its own rule
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const weightDecay = this.decays.get(name) ? this.weightDecay : 0;
        const updated = adamwUpdate(p, byName.get(name)!, m, v, { lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay, step, corrections });
        p.assign(updated[0]);
        m.assign(updated[1]);
        v.assign(updated[2]);
        dispose(updated);
      }
    });
  }

  /** [1 - beta1^t, 1 - beta2^t] of step t (1-based) in f64, for `update`'s `corrections`. */
  biasCorrections(t: number = this.steps + 1): Float32Array {
    return Float32Array.from([1 - Math.pow(this.beta1, t), 1 - Math.pow(this.beta2, t)]);
  }

  /** Counts one step applied with `update` (the next step's bias correction uses stepCount + 1); `lr` becomes `optimizer.lr`. */
  countStep(lr?: number): void {
    if (lr !== undefined) this.lr = lr;
    this.steps++;
  }

  private matchGrads(grads: Map<string, Tensor> | readonly Tensor[]): Map<string, Tensor> {
    const names = [...this.params.keys()];
    let byName: Map<string, Tensor>;
    if (grads instanceof Map) {
      const unknown = [...grads.keys()].filter((k) => !this.params.has(k));
      const missing = names.filter((k) => !grads.has(k));
      if (unknown.length > 0 || missing.length > 0) {
        throw new ShapeError(`AdamW.step: gradients do not match the parameters${missing.length ? `; missing: ${missing.join(", ")}` : ""}${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`);
      }
      byName = grads;
    } else {
      if (grads.length !== names.length) throw new ShapeError(`AdamW.step: got ${grads.length} gradients for ${names.length} parameters`);
      byName = new Map(names.map((n, i) => [n, grads[i]]));
    }
    for (const [name, p] of this.params) {
      const g = byName.get(name)!;
      if (!shapesEqual(g.shape, p.shape) || g.dtype !== p.dtype) {
        throw new ShapeError(`AdamW.step: gradient of "${name}" is ${formatShape(g.shape)} ${g.dtype}, parameter is ${formatShape(p.shape)} ${p.dtype}`);
      }
    }
    return byName;
  }

  /** Moments and step count, for a checkpoint (`saveCheckpoint(dir, { ..., optimizer: await opt.state() })`). */
  async state(): Promise<OptimizerState> {
    const tensors: Record<string, HostTensor> = {};
    for (const moments of [this.m, this.v]) {
      for (const s of moments.values()) tensors[s.name] = { dtype: s.dtype, shape: [...s.shape], data: await s.data() };
    }
    return {
      tensors,
      state: { type: "adamw", step: this.steps, lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay },
    };
  }

  /** Restores moments, step count and lr saved by `state()`; every moment must be present with its parameter's shape. */
  loadState({ tensors, state }: OptimizerState): void {
    const step = state.step;
    if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) throw new ShapeError(`AdamW.loadState: "step" must be an integer >= 0, got ${JSON.stringify(step)}`);
    const problems: string[] = [];
    const expected = new Set<string>();
    for (const moments of [this.m, this.v]) {
      for (const s of moments.values()) {
        expected.add(s.name);
        const h = tensors[s.name];
        if (h === undefined || !Object.hasOwn(tensors, s.name)) problems.push(`missing ${s.name}`);
        else if (!shapesEqual(h.shape, s.shape) || h.dtype !== s.dtype) problems.push(`${s.name} is ${formatShape(h.shape)} ${h.dtype}, expected ${formatShape(s.shape)} ${s.dtype}`);
      }
    }
    for (const key of Object.keys(tensors)) if (!expected.has(key)) problems.push(`unexpected ${key}`);
    if (problems.length > 0) throw new ShapeError(`AdamW.loadState: the saved state does not match the parameters: ${problems.join("; ")}`);
    for (const moments of [this.m, this.v]) {
      for (const s of moments.values()) {
        const h = tensors[s.name];
        const t = engine.makeTensor(h.data, h.shape, h.dtype, s.backend);
        s.assign(t);
        t.dispose();
      }
    }
    this.steps = step;
    if (typeof state.lr === "number") this.lr = state.lr;
  }

  /** Frees the moment buffers. */
  dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
  }
}

function makeState(p: Variable, name: string): Variable {
  return variable(zeros(p.shape, "f32", p.backend), name, false);
}

function checkHyper(name: string, value: number, ok: boolean): void {
  if (typeof value !== "number" || !Number.isFinite(value) || !ok) throw new RangeError(`AdamW: invalid ${name} ${value}`);
}
