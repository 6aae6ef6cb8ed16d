/**
 * LoRA on a model (PEFT's get_peft_model): adapters on the Linear layers that the target modules name,
 * the base frozen. The LoraModel holds only the adapters: its parameters (what the optimizer gets)
 * are theirs, named `<layer path>.lora_A.weight` / `.lora_B.weight`; the base model's parameters keep
 * their names and values, and the base model itself runs with the adapters (its Linear layers add the
 * adapter outputs), so generation and training both use the adapted model. `merge()` folds
 * W += s B A into the base and removes the adapters (for export); `unload()` removes them unmerged.
 */
import { add, mul } from "../ops/elementwise.ts";
import type { HostTensor } from "../io/safetensors.ts";
import { noGrad, tidy } from "../memory.ts";
import { Linear } from "../nn/linear.ts";
import { Module } from "../nn/module.ts";
import { Generator } from "../random/generator.ts";
import type { Tensor, Variable } from "../tensor/tensor.ts";
import { LoraAdapter } from "./lora-adapter.ts";
import { type LoraConfig, type LoraConfigInput, LoraError, isLoraTarget, loraScaling, resolveLoraConfig } from "./lora-config.ts";

/** The output head, never a target of "all-linear" (PEFT leaves it out too). */
const OUTPUT_HEAD = "lm_head";

export class LoraModel extends Module {
  private attached = true;

  constructor(
    readonly base: Module,
    readonly config: LoraConfig,
    /** Adapters by the dotted path of their layer. */
    readonly adapters: ReadonlyMap<string, { layer: Linear; adapter: LoraAdapter }>,
    /** The base parameters frozen by applyLora, with their previous trainable flags. */
    private readonly frozen: ReadonlyMap<Variable, boolean>,
  ) {
    super();
  }

  /** `<layer path>.lora_A.weight` and `.lora_B.weight` of every adapter, in model order. */
  override namedParameters(): Map<string, Variable> {
    const out = new Map<string, Variable>();
    for (const [path, { adapter }] of this.adapters) for (const [name, v] of adapter.namedParameters()) out.set(`${path}.${name}`, v);
    return out;
  }

  /** Dropout on (training, the default) or off (evaluation, generation). */
  setTraining(training: boolean): void {
    for (const { adapter } of this.adapters.values()) adapter.training = training;
  }

  /** Runs `fn` with the adapters switched off: the base model's function (GRPO's reference with LoRA, as TRL does). */
  withAdaptersDisabled<T>(fn: () => T): T {
    this.assertAttached("withAdaptersDisabled");
    for (const { layer } of this.adapters.values()) layer.adapter = undefined;
    try {
      return fn();
    } finally {
      for (const { layer, adapter } of this.adapters.values()) layer.adapter = adapter;
    }
  }

  /**
   * The base model's parameters by name with the adapted layers' weights merged (W + s B A): what the
   * adapted model computes, as one plain set of weights. The merged tensors are new: dispose them.
   */
  mergedWeights(): Map<string, Tensor> {
    this.assertMergeable("mergedWeights");
    const byLayer = new Map<Variable, Linear>();
    for (const { layer } of this.adapters.values()) byLayer.set(layer.weight, layer);
    const out = new Map<string, Tensor>();
    for (const [name, v] of this.base.namedParameters()) {
      const layer = byLayer.get(v);
      out.set(name, layer ? tidy(() => layer.effectiveWeight()) : tidy(() => mul(v, 1)));
    }
    return out;
  }

  /** mergedWeights as host tensors (what a remote rollout engine or an export needs). */
  async mergedStateDict(): Promise<Record<string, HostTensor>> {
    const merged = this.mergedWeights();
    try {
      const out: Record<string, HostTensor> = {};
      for (const [name, t] of merged) out[name] = { dtype: t.dtype, shape: [...t.shape], data: await t.data() };
      return out;
    } finally {
      for (const t of merged.values()) t.dispose();
    }
  }

  /** W += s B A in every adapted layer, then removes the adapters: the base model alone computes the adapted function. */
  merge(): void {
    this.assertAttached("merge");
    this.assertMergeable("merge");
    noGrad(() => {
      for (const { layer, adapter } of this.adapters.values()) {
        const merged = tidy(() => add(layer.weight, adapter.deltaWeight()));
        layer.weight.assign(merged);
        merged.dispose();
      }
    });
    this.unload();
  }

  /** Removes the adapters without merging them (the base model is as it was), and unfreezes the base. */
  unload(): void {
    this.assertAttached("unload");
    for (const { layer, adapter } of this.adapters.values()) {
      layer.adapter = undefined;
      adapter.dispose();
    }
    for (const [v, trainable] of this.frozen) v.trainable = trainable;
    this.attached = false;
  }

  override dispose(): void {
    if (this.attached) this.unload();
  }

  /** FP8-stored base weights (codes + block scales) cannot hold W + s B A: the adapter stays separate. */
  private assertMergeable(what: string): void {
    const fp8 = [...this.adapters].filter(([, { layer }]) => layer.weight_scale_inv).map(([path]) => path);
    if (fp8.length > 0) throw new LoraError(`LoraModel.${what}: ${fp8.slice(0, 3).join(", ")} store FP8 weights, which cannot take the merged update; save the adapter (saveLoraAdapter) and apply it at load time instead`);
  }

  private assertAttached(what: string): void {
    if (!this.attached) throw new LoraError(`LoraModel.${what}: the adapters were already merged or unloaded`);
  }
}

/** Adds LoRA adapters to the target Linear layers of `model` and freezes its parameters. */
export function applyLora(model: Module, input: LoraConfigInput = {}): LoraModel {
  const config = resolveLoraConfig(input);
  const scaling = loraScaling(config);
  const generator = new Generator(config.seed);
  const adapters = new Map<string, { layer: Linear; adapter: LoraAdapter }>();
  const unsupported: string[] = [];
  const visit = (module: Module, prefix: string): void => {
    for (const [name, child] of module.namedChildren()) {
      const path = prefix + name;
      const allLinear = config.targetModules === "all-linear";
      if (child instanceof Linear) {
        if (allLinear ? path !== OUTPUT_HEAD && !path.endsWith(`.${OUTPUT_HEAD}`) : isLoraTarget(path, config.targetModules)) {
          if (child.adapter) throw new LoraError(`applyLora: ${path} already has an adapter (apply LoRA once, or unload the first)`);
          const adapter = new LoraAdapter(child.inFeatures, child.outFeatures, { r: config.r, scaling, dropout: config.dropout, generator });
          adapters.set(path, { layer: child, adapter });
        }
        continue;
      }
      if (!allLinear && isLoraTarget(path, config.targetModules)) unsupported.push(`${path} (${child.constructor.name})`);
      visit(child, `${path}.`);
    }
  };
  visit(model, "");
  if (unsupported.length > 0) {
    for (const { adapter } of adapters.values()) adapter.dispose();
    throw new LoraError(`applyLora: target modules ${JSON.stringify(config.targetModules)} match ${unsupported.slice(0, 4).join(", ")}: LoRA adapts Linear layers only`);
  }
  if (adapters.size === 0) {
    const linears: string[] = [];
    const list = (module: Module, prefix: string): void => {
      for (const [name, child] of module.namedChildren()) (child instanceof Linear ? linears.push(prefix + name) : list(child, `${prefix}${name}.`));
    };
    list(model, "");
    const names = [...new Set(linears.map((p) => p.split(".").pop()!))];
    throw new LoraError(`applyLora: target modules ${JSON.stringify(config.targetModules)} match no Linear layer of the model (its Linear layers are named ${names.join(", ")})`);
  }
  for (const { layer, adapter } of adapters.values()) layer.adapter = adapter;
  const frozen = new Map<Variable, boolean>();
  for (const v of model.parameters()) {
    frozen.set(v, v.trainable);
    v.trainable = false;
  }
  return new LoraModel(model, config, adapters, frozen);
}

/**
 * Applies adapter tensors (named `<layer path>.lora_A.weight` / `.lora_B.weight`) with their LoRA
 * options to `model` and merges them in: a LoRA checkpoint read as a plain model. `where` names the
 * options' source in errors.
 */
export function mergeAdapterTensors(model: Module, options: unknown, tensors: Record<string, HostTensor>, where: string): void {
  if (options === null || typeof options !== "object") throw new LoraError(`${where}: the weights hold LoRA adapters, but no "lora" options say how they apply`);
  const lora = applyLora(model, resolveLoraConfig(options as LoraConfigInput, `${where}: lora`));
  try {
    lora.loadStateDict(tensors);
  } catch (error) {
    lora.unload();
    throw new LoraError(`${where}: the LoRA adapters do not fit the model: ${(error as Error).message}`);
  }
  lora.merge();
}
