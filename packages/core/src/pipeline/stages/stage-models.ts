/**
 * Model bundles in and out of stages: the config a stage's outputs and checkpoints carry. A model that
 * came from a Hugging Face folder leaves the stage as one (savePretrained: HF config, names and tokenizer
 * files, f32 weights), so transformers, vLLM and the next stage all read it.
 */
import { HfPromptTokenizer } from "../../data/hf-tokenizer.ts";
import { savePretrained } from "../../hf/save-pretrained.ts";
import type { BundleConfig, ModelBundle } from "../../run/model-bundle.ts";
import { saveModelBundle } from "../../run/model-bundle.ts";
import type { StageContext } from "../stage.ts";

/** What a stage holds of a model bundle. */
export type BundleParts = Pick<ModelBundle, "model" | "tokenizer" | "config">;

/** The input bundle's config (its task, how it was made, ...) with the current weights' model config and who made it. */
export function stageBundleConfig(ctx: StageContext, bundle: BundleParts): BundleConfig {
  const { model: _model, tokenizer: _tokenizer, eosToken: _eos, producedBy: _by, ...extra } = bundle.config;
  return { ...extra, model: bundle.model.config, tokenizer: bundle.config.tokenizer, eosToken: bundle.config.eosToken, producedBy: { pipeline: ctx.pipeline, stage: ctx.id, kind: ctx.stage } };
}

/** Writes `bundle`'s current weights as the stage's model output `name`. */
export async function saveStageModel(ctx: StageContext, bundle: BundleParts, name = "model"): Promise<void> {
  const hf = bundle.config.hf;
  if (hf && bundle.tokenizer instanceof HfPromptTokenizer) {
    await savePretrained(ctx.outputPath(name), { model: bundle.model, tokenizer: bundle.tokenizer.hf, config: hf.config, generationConfig: hf.generationConfig });
    return;
  }
  const { model: _m, eosToken, ...extra } = stageBundleConfig(ctx, bundle);
  await saveModelBundle(ctx.outputPath(name), bundle.model, bundle.tokenizer, eosToken, extra);
}
