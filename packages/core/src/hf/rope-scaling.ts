/**
 * Hugging Face's `rope_scaling` (or transformers 5's `rope_parameters`) <-> r1ts's RopeScaling, with the
 * meaning the models' own modelling code gives each field (docs/huggingface.md, "RoPE scaling"):
 *
 *   default / null      plain RoPE
 *   linear              freq / factor
 *   llama3              Llama 3.1's smooth blend (nn/rope-scalings.ts)
 *   dynamic             dynamic NTK: plain RoPE up to max_position_embeddings, which r1ts never exceeds
 *   yarn                YaRN, always on; cos and sin times attention_factor, where
 *                         DeepSeek (MLA):  mscale(f, mscale ?? 1) / mscale(f, mscale_all_dim ?? 0), and the
 *                                          softmax scale times mscale(f, mscale_all_dim)^2
 *                         others (GQA):    attention_factor ?? (mscale and mscale_all_dim given ? their ratio
 *                                          : mscale(f, 1)), the softmax scale unchanged
 *                       with mscale(f, m) = 0.1 m ln(f) + 1.
 */
import type { RopeScaling } from "../nn/rope.ts";
import type { RopeScalingInput } from "../nn/transformer-config.ts";
import { yarnMscale } from "../nn/yarn.ts";
import { HfConfigError } from "./errors.ts";
import { previewValue } from "../util/preview.ts";

type Json = Record<string, unknown>;

export interface RopeFields {
  /** rope_theta (from rope_parameters when the config has them). */
  theta: number | undefined;
  scaling: RopeScalingInput;
}

/** Reads the RoPE fields of an HF config; `mla` selects DeepSeek's meaning of YaRN's mscale fields. */
export function ropeFromHf(json: Json, where: string, mla: boolean): RopeFields {
  const params = json.rope_parameters;
  const raw = (params ?? json.rope_scaling) as unknown;
  let theta = typeof json.rope_theta === "number" ? json.rope_theta : undefined;
  if (raw == null) return { theta, scaling: { type: "none" } };
  if (typeof raw !== "object" || Array.isArray(raw)) throw new HfConfigError(`${where}: "rope_scaling" must be an object or null, got ${previewValue(raw)}`);
  const s = raw as Json;
  if (params != null && typeof s.rope_theta === "number") theta = s.rope_theta;
  const kind = s.rope_type ?? s.type ?? "default";
  const field = params != null ? "rope_parameters" : "rope_scaling";
  const num = (key: string, fallback?: number): number => {
    const v = s[key] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new HfConfigError(`${where}: "${field}.${key}" must be a number, got ${previewValue(s[key])}`);
    return v;
  };
  const optional = (key: string): number | undefined => (s[key] == null ? undefined : num(key));
  const maxPositions = typeof json.max_position_embeddings === "number" ? json.max_position_embeddings : undefined;
  switch (kind) {
    case "default":
      return { theta, scaling: { type: "none" } };
    case "linear":
      return { theta, scaling: { type: "linear", factor: num("factor") } };
    case "dynamic":
      return { theta, scaling: { type: "dynamic", factor: num("factor"), originalMaxSeqLen: num("original_max_position_embeddings", maxPositions) } };
    case "llama3":
      return {
        theta,
        scaling: { type: "llama3", factor: num("factor"), lowFreqFactor: num("low_freq_factor"), highFreqFactor: num("high_freq_factor"), originalMaxSeqLen: num("original_max_position_embeddings") },
      };
    case "yarn": {
      const factor = num("factor");
      const mscale = optional("mscale");
      const mscaleAllDim = optional("mscale_all_dim");
      const given = optional("attention_factor");
      let attentionFactor: number;
      if (mla) attentionFactor = yarnMscale(factor, mscale ?? 1) / yarnMscale(factor, mscaleAllDim ?? 0);
      else attentionFactor = given ?? (mscale && mscaleAllDim ? yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim) : yarnMscale(factor, 1));
      if (mla && given !== undefined) throw new HfConfigError(`${where}: "${field}.attention_factor" is not read by DeepSeek's modelling code; remove it or express it with mscale / mscale_all_dim`);
      const truncate = s.truncate;
      if (truncate !== undefined && typeof truncate !== "boolean") throw new HfConfigError(`${where}: "${field}.truncate" must be true or false, got ${previewValue(truncate)}`);
      return {
        theta,
        scaling: {
          type: "yarn",
          factor,
          originalMaxSeqLen: num("original_max_position_embeddings", mla ? 4096 : maxPositions),
          betaFast: num("beta_fast", 32),
          betaSlow: num("beta_slow", 1),
          // r1ts's mscale is the softmax-scale coefficient: DeepSeek's mscale_all_dim; GQA models scale only through the tables.
          mscale: mla ? (mscaleAllDim ?? 0) : 0,
          alwaysOn: true,
          ...(attentionFactor !== 1 ? { attentionFactor } : {}),
          ...(truncate === false ? { truncate: false } : {}),
        },
      };
    }
    default:
      throw new HfConfigError(`${where}: "${field}" of type ${previewValue(kind)} is not supported (supported: default, linear, dynamic, llama3, yarn)`);
  }
}

/** The HF `rope_scaling` of a RopeScaling (null for plain RoPE); fails for scalings HF cannot express. */
export function ropeToHf(scaling: RopeScaling, mla: boolean, maxSeqLen: number): Json | null {
  switch (scaling.type) {
    case "none":
      return null;
    case "linear":
      return { rope_type: "linear", factor: scaling.factor };
    case "dynamic":
      return { rope_type: "dynamic", factor: scaling.factor, original_max_position_embeddings: scaling.originalMaxSeqLen };
    case "llama3":
      return {
        rope_type: "llama3",
        factor: scaling.factor,
        low_freq_factor: scaling.lowFreqFactor,
        high_freq_factor: scaling.highFreqFactor,
        original_max_position_embeddings: scaling.originalMaxSeqLen,
      };
    case "yarn": {
      if (scaling.alwaysOn !== true && maxSeqLen <= scaling.originalMaxSeqLen) {
        throw new HfConfigError(`config.json: YaRN that is off within maxSeqLen ${maxSeqLen} <= originalMaxSeqLen ${scaling.originalMaxSeqLen} has no Hugging Face equivalent (HF models always rescale)`);
      }
      const f = scaling.factor;
      const out: Json = {
        type: "yarn",
        factor: f,
        original_max_position_embeddings: scaling.originalMaxSeqLen,
        beta_fast: scaling.betaFast,
        beta_slow: scaling.betaSlow,
      };
      if (scaling.truncate === false) out.truncate = false;
      const table = scaling.attentionFactor ?? 1;
      if (mla) {
        // Solve mscale(f, m) / mscale(f, mscale_all_dim) = table for m.
        out.mscale_all_dim = scaling.mscale;
        out.mscale = f > 1 ? (table * yarnMscale(f, scaling.mscale) - 1) / (0.1 * Math.log(f)) : 1;
        return out;
      }
      if (scaling.mscale !== 0) throw new HfConfigError(`config.json: a YaRN softmax coefficient (mscale ${scaling.mscale}) on a grouped-query model has no Hugging Face equivalent`);
      out.attention_factor = table;
      return out;
    }
  }
}
