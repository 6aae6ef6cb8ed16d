/** What loadPretrained read for a model (its HF config and generation config), so savePretrained can write them back. */
import type { TransformerLM } from "../nn/transformer-lm.ts";
import type { GenerationConfig } from "./generation-config.ts";

export interface PretrainedSource {
  dir: string;
  config: Record<string, unknown>;
  generationConfig: GenerationConfig | undefined;
}

const sources = new WeakMap<TransformerLM, PretrainedSource>();

export function rememberPretrainedSource(model: TransformerLM, source: PretrainedSource): void {
  sources.set(model, source);
}

/** The folder a model was loaded from by loadPretrained, with what was read there; undefined for other models. */
export function pretrainedSourceOf(model: TransformerLM): PretrainedSource | undefined {
  return sources.get(model);
}
