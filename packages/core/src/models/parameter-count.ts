/**
 * Parameter and cache counts computed from a config alone, without allocating weights (so a 671B model
 * can be inspected on a laptop). `model.numParameters()` of a built model gives the same total (tested).
 *
 * activatedParams: the parameters one token passes through: everything except the routed experts it is
 * not sent to, and of an untied embedding table only its own row (a lookup reads one row).
 */
import { type TransformerConfig, type TransformerConfigInput, transformerConfig } from "../nn/transformer-config.ts";

export interface ParameterCount {
  /** Total parameters (the MoE routing bias included; DeepSeek-V3's multi-token-prediction module not modelled). */
  params: number;
  /** Parameters used per token (see the file comment). */
  activatedParams: number;
  embedding: number;
  /** The output head (0 with tied embeddings). */
  head: number;
  /** Attention parameters over all layers. */
  attention: number;
  /** Dense MLPs over all layers. */
  denseMlp: number;
  /** Routed experts over all MoE layers. */
  routedExperts: number;
  /** Shared experts and gates over all MoE layers. */
  sharedExpertsAndGates: number;
  /** RMSNorm weights. */
  norms: number;
  /** Values the decoding cache keeps per token per layer (per sequence): MLA's latent cache vs full keys and values. */
  kvCacheValuesPerTokenPerLayer: { mla: number | null; naive: number };
}

export function countParameters(input: TransformerConfigInput | TransformerConfig): ParameterCount {
  const c = transformerConfig(input as TransformerConfigInput);
  const { dim, nHeads: h, vocabSize: v } = c;
  const embedding = v * dim;
  const head = c.tieEmbeddings ? 0 : v * dim;

  let attentionPerLayer: number;
  let attentionNorms = 0;
  let cache: ParameterCount["kvCacheValuesPerTokenPerLayer"];
  if (c.attention === "mla") {
    const { qLoraRank: qr, kvLoraRank: kvr, qkNopeHeadDim: dn, qkRopeHeadDim: dr, vHeadDim: dv } = c;
    const queries = qr > 0 ? dim * qr + qr * h * (dn + dr) : dim * h * (dn + dr);
    attentionNorms = (qr > 0 ? qr : 0) + kvr;
    attentionPerLayer = queries + dim * (kvr + dr) + kvr * h * (dn + dv) + h * dv * dim;
    cache = { mla: kvr + dr, naive: h * (dn + dr + dv) };
  } else {
    const { nKvHeads: hkv, headDim: hd } = c;
    const biases = c.attentionBias ? h * hd + 2 * hkv * hd : 0;
    attentionPerLayer = dim * h * hd + 2 * dim * hkv * hd + h * hd * dim + biases;
    cache = { mla: null, naive: 2 * hkv * hd };
  }

  const moeLayers = c.nRoutedExperts > 0 ? Math.max(0, c.nLayers - c.nDenseLayers) : 0;
  const denseLayers = c.nLayers - moeLayers;
  const expert = 3 * dim * c.moeInterDim;
  const gate = c.nRoutedExperts * dim + (c.routerBias ? c.nRoutedExperts : 0);
  const shared = c.nSharedExperts * expert;

  const attention = c.nLayers * attentionPerLayer;
  const denseMlp = denseLayers * 3 * dim * c.interDim;
  const routedExperts = moeLayers * c.nRoutedExperts * expert;
  const sharedExpertsAndGates = moeLayers * (gate + shared);
  const norms = c.nLayers * (2 * dim + attentionNorms) + dim;
  const params = embedding + head + attention + denseMlp + routedExperts + sharedExpertsAndGates + norms;
  // A token reads one embedding row; with tied embeddings the head still multiplies by the whole matrix.
  const embeddingUsed = c.tieEmbeddings ? embedding : dim;
  const activatedParams = params - embedding + embeddingUsed - moeLayers * (c.nRoutedExperts - c.nActivatedExperts) * expert;
  return { params, activatedParams, embedding, head, attention, denseMlp, routedExperts, sharedExpertsAndGates, norms, kvCacheValuesPerTokenPerLayer: cache };
}
