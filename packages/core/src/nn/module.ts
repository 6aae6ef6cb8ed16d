/**
 * Module: the base class of every layer. A module owns named parameters (Variables), named child
 * modules and non-persistent buffers (e.g. RoPE tables); parameter names are the dotted paths of the
 * tree, as in PyTorch / Hugging Face (`model.layers.0.self_attn.q_proj.weight`), so checkpoints of
 * either kind map onto r1ts models by name.
 */
import { engine } from "../tensor/engine.ts";
import { formatShape, shapesEqual } from "../tensor/shape.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import type { HostTensor } from "../io/safetensors.ts";
import { StateDictError } from "./errors.ts";

export interface LoadStateDictOptions {
  /** Fail on missing or unexpected keys (default true). Mis-shaped keys fail either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  /** Parameters of the module that the record did not have (left unchanged). */
  missing: string[];
  /** Keys of the record that name no parameter (ignored). */
  unexpected: string[];
}

const NAME = /^[A-Za-z0-9_]+$/;

export abstract class Module {
  private readonly ownParameters = new Map<string, Variable>();
  private readonly children = new Map<string, Module>();
  private readonly buffers = new Map<string, Tensor>();

  /** Makes a trainable parameter from `initial`, taking ownership of it (the caller must not use it after). */
  protected addParameter(name: string, initial: Tensor): Variable {
    this.checkName(name);
    const v = engine.makeVariable(initial, name);
    initial.dispose();
    this.ownParameters.set(name, v);
    return v;
  }

  /** Registers a parameter owned by another module (weight tying); listed once, under its first name. */
  protected shareParameter(name: string, v: Variable): Variable {
    this.checkName(name);
    this.ownParameters.set(name, v);
    return v;
  }

  protected addModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    this.children.set(name, module);
    return module;
  }

  /** A tensor the module owns but does not train or save (like PyTorch's non-persistent buffers). */
  protected addBuffer<T extends Tensor>(name: string, t: T): T {
    this.checkName(name);
    this.buffers.set(name, engine.keep(t));
    return t;
  }

  private checkName(name: string): void {
    if (!NAME.test(name)) throw new Error(`${this.constructor.name}: "${name}" is not a valid member name (letters, digits and _ only)`);
    if (this.ownParameters.has(name) || this.children.has(name) || this.buffers.has(name)) {
      throw new Error(`${this.constructor.name}: "${name}" is registered twice`);
    }
  }

  /** Child modules by name, in registration order. */
  namedChildren(): Map<string, Module> {
    return new Map(this.children);
  }

  /**
   * Every parameter under its dotted path, in registration order (own parameters first, then children).
   * A parameter shared by two modules (tied weights) is listed once, under the first name reached.
   */
  namedParameters(): Map<string, Variable> {
    const out = new Map<string, Variable>();
    const seen = new Set<Variable>();
    const visit = (module: Module, prefix: string): void => {
      for (const [name, v] of module.ownParameters) {
        if (seen.has(v)) continue;
        seen.add(v);
        out.set(prefix + name, v);
      }
      for (const [name, child] of module.children) visit(child, `${prefix}${name}.`);
    };
    visit(this, "");
    return out;
  }

  parameters(): Variable[] {
    return [...this.namedParameters().values()];
  }

  /** The number of scalar parameters (shared ones counted once). */
  numParameters(): number {
    let n = 0;
    for (const v of this.namedParameters().values()) n += v.size;
    return n;
  }

  /** A host copy of every parameter, keyed by dotted name (what a safetensors checkpoint holds). */
  async stateDict(): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = {};
    for (const [name, v] of this.namedParameters()) {
      out[name] = { dtype: v.dtype, shape: [...v.shape], data: await v.data() };
    }
    return out;
  }

  /**
   * Copies the values of `record` into the parameters of the same name. Everything is checked before
   * anything is written: mis-shaped (or mis-typed) keys always throw a StateDictError; missing and
   * unexpected keys throw when `strict` (the default), and are returned otherwise.
   */
  loadStateDict(record: Record<string, HostTensor>, { strict = true }: LoadStateDictOptions = {}): LoadStateDictResult {
    const params = this.namedParameters();
    const missing = [...params.keys()].filter((name) => !Object.hasOwn(record, name));
    const unexpected = Object.keys(record).filter((name) => !params.has(name));
    const mismatched: string[] = [];
    for (const [name, v] of params) {
      const h = record[name];
      if (h === undefined || !Object.hasOwn(record, name)) continue;
      if (!shapesEqual(h.shape, v.shape) || h.dtype !== v.dtype) {
        mismatched.push(`${name} (model ${formatShape(v.shape)} ${v.dtype}, state dict ${formatShape(h.shape)} ${h.dtype})`);
      }
    }
    if (mismatched.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
      throw new StateDictError(strict ? missing : [], strict ? unexpected : [], mismatched);
    }
    for (const [name, v] of params) {
      if (!Object.hasOwn(record, name)) continue;
      const h = record[name];
      const t = engine.makeTensor(h.data, h.shape, h.dtype, v.backend);
      v.assign(t);
      t.dispose();
    }
    return { missing, unexpected };
  }

  /** Frees every parameter and buffer of the module and its children. The module is unusable after. */
  dispose(): void {
    for (const v of this.ownParameters.values()) v.dispose();
    for (const t of this.buffers.values()) t.dispose();
    for (const child of this.children.values()) child.dispose();
  }
}

/** A list of modules whose parameter names are their indices (`layers.0.…`, `layers.1.…`). */
export class ModuleList<M extends Module> extends Module implements Iterable<M> {
  private readonly items: M[];

  constructor(items: readonly M[]) {
    super();
    this.items = items.map((m, i) => this.addModule(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (m === undefined) throw new RangeError(`ModuleList: index ${i} is out of range [0, ${this.items.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
