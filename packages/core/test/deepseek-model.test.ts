import { describe, expect, it } from "vitest";
import { expectClose } from "./expect-close.ts";
import {
  CharTokenizer,
  TransformerLM,
  type TransformerConfigInput,
  countParameters,
  crossEntropy,
  dispose,
  generate,
  memory,
  moeGates,
  presetConfig,
  reshape,
  sum,
  div,
  tensor,
  tidy,
  updateMoeBiases,
  valueAndGradsOf,
} from "../src/index.ts";

/** Every DeepSeek-V3 part, small: MLA with query compression, sigmoid MoE with groups and a shared expert after a dense layer, YaRN active. */
const SMALL: TransformerConfigInput = presetConfig("tiny-deepseek", {
  vocabSize: 20, dim: 16, interDim: 24, moeInterDim: 8, nLayers: 2, nDenseLayers: 1, nHeads: 2,
  qLoraRank: 8, kvLoraRank: 8, qkNopeHeadDim: 4, qkRopeHeadDim: 4, vHeadDim: 4, maxSeqLen: 32, initStd: 0.3, seed: 3,
  ropeScaling: { type: "yarn", factor: 4, originalMaxSeqLen: 16 },
});

const fullLogits = (model: TransformerLM, row: number[]) => {
  const t = tidy(() => model.forward(tensor(Int32Array.from(row), [1, row.length])));
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

function drainLoads(model: TransformerLM): void {
  for (const g of moeGates(model)) g.takeLoad()?.dispose();
}

describe("a DeepSeek-style TransformerLM (MLA + MoE + YaRN)", () => {
  it("has HF DeepSeek-V3 parameter names: dense first layer, MoE after", () => {
    const model = new TransformerLM(SMALL);
    const names = [...model.namedParameters().keys()];
    for (const n of [
      "model.layers.0.self_attn.q_a_proj.weight", "model.layers.0.self_attn.q_a_layernorm.weight", "model.layers.0.self_attn.q_b_proj.weight",
      "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", "model.layers.0.self_attn.kv_a_layernorm.weight", "model.layers.0.self_attn.kv_b_proj.weight",
      "model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.gate_proj.weight",
      "model.layers.1.mlp.gate.weight", "model.layers.1.mlp.gate.e_score_correction_bias", "model.layers.1.mlp.experts.7.down_proj.weight",
      "model.layers.1.mlp.shared_experts.up_proj.weight", "lm_head.weight",
    ]) expect(names).toContain(n);
    expect(names.some((n) => n.startsWith("model.layers.0.mlp.experts"))).toBe(false);
    expect(model.numParameters()).toBe(countParameters(SMALL).params);
    model.dispose();
  });

  it.each([true, false])("incremental decoding equals the full forward pass (latent cache: %s)", (mlaAbsorb) => {
    const model = new TransformerLM({ ...SMALL, mlaAbsorb });
    const row = [1, 5, 2, 9, 4, 7, 3, 19, 11, 0];
    const full = fullLogits(model, row);
    const cache = model.createCache();
    const got: number[] = [];
    for (const [from, to] of [[0, 4], [4, 5], [5, 6], [6, 8], [8, 9], [9, 10]]) {
      const logits = tidy(() => model.forwardCached(tensor(Int32Array.from(row.slice(from, to)), [1, to - from]), cache, { positions: Array.from({ length: to - from }, (_, j) => from + j) }));
      got.push(...logits.dataSync());
      logits.dispose();
    }
    expectClose(got, full);
    expect(cache.valuesPerTokenPerLayer()).toBe(mlaAbsorb ? 8 + 4 : 2 * (4 + 4 + 4));
    expect(cache.valuesPerTokenPerLayer()).toBe(countParameters({ ...SMALL, mlaAbsorb }).kvCacheValuesPerTokenPerLayer[mlaAbsorb ? "mla" : "naive"]);
    cache.dispose();
    drainLoads(model);
    model.dispose();
  });

  it.each([true, false])("batched greedy generation with padding equals each prompt alone (latent cache: %s)", async (mlaAbsorb) => {
    const model = new TransformerLM({ ...SMALL, mlaAbsorb });
    const prompts = [[3, 4, 5, 6, 7], [8], [9, 10, 11]];
    const before = memory().numTensors;
    const batched = await generate(model, prompts, { maxNewTokens: 5, temperature: 0 });
    expect(memory().numTensors).toBe(before);
    for (const [i, p] of prompts.entries()) {
      const alone = await generate(model, [p], { maxNewTokens: 5, temperature: 0 });
      expect(batched.completionIds[i]).toEqual(alone.completionIds[0]);
      // And each greedy token is the argmax of a full forward pass.
      const seq = [...p, ...alone.completionIds[0]];
      const logits = fullLogits(model, seq.slice(0, -1));
      for (let j = p.length - 1; j < seq.length - 1; j++) {
        const row = logits.slice(j * 20, (j + 1) * 20);
        expect(seq[j + 1]).toBe(row.indexOf(Math.max(...row)));
      }
    }
    drainLoads(model);
    model.dispose();
  });

  it("loss = cross-entropy + the MoE balance loss, and its gradients match finite differences", () => {
    const model = new TransformerLM({ ...SMALL, balanceLossAlpha: 0.3 });
    const tokens = tensor(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]);
    const targets = tensor(Int32Array.from([2, 3, 4, 5, 6, 7, 8, 9]), [2, 4]);
    const [loss, ce, aux] = tidy(() => {
      const { logits, auxLoss } = model.forwardWithAux(tokens);
      const ce = div(sum(crossEntropy(reshape(logits, [8, 20]), reshape(targets, [8]))), 8);
      return [model.loss(tokens, targets), ce, auxLoss!];
    });
    expect(aux.itemSync()).toBeGreaterThan(0);
    expectClose([loss.itemSync()], [ce.itemSync() + aux.itemSync()], 1e-6, 1e-6);
    const params = model.parameters();
    const { value, grads } = valueAndGradsOf(() => model.loss(tokens, targets), params);
    const named = [...model.namedParameters().keys()];
    for (const name of ["model.layers.1.mlp.gate.weight", "model.layers.0.self_attn.kv_b_proj.weight", "model.layers.1.self_attn.q_a_proj.weight", "model.layers.1.mlp.experts.3.up_proj.weight"]) {
      const i = named.indexOf(name);
      const p = params[i];
      const g = Array.from(grads[i].dataSync());
      const base = Array.from(p.dataSync());
      const j = g.map((x, k) => [Math.abs(x), k]).sort((a, b) => b[0] - a[0])[0][1]; // the largest gradient entry
      const at = (d: number) => {
        const t = tensor(base.map((x, k) => (k === j ? x + d : x)), p.shape);
        p.assign(t);
        t.dispose();
        const l = tidy(() => model.loss(tokens, targets));
        const out = l.itemSync();
        l.dispose();
        return out;
      };
      const fd = (at(1e-3) - at(-1e-3)) / 2e-3;
      const t = tensor(base, p.shape);
      p.assign(t);
      t.dispose();
      expect(Math.abs(g[j] - fd), name).toBeLessThan(3e-3 + 2e-2 * Math.abs(fd));
    }
    dispose([tokens, targets, loss, ce, aux, value, grads]);
    drainLoads(model);
    model.dispose();
  });

  it("training forward passes count expert loads for the bias update; cached decoding and plain forwards do not", async () => {
    const model = new TransformerLM(SMALL);
    await generate(model, [[1, 2, 3]], { maxNewTokens: 3, temperature: 0 });
    expect(await updateMoeBiases(model)).toEqual([]);
    // A plain forward (old / reference log-probs, evaluation) leaves the loads alone.
    tidy(() => model.forward(tensor(Int32Array.from([1, 2, 3, 4]), [1, 4]))).dispose();
    expect(await updateMoeBiases(model)).toEqual([]);
    const logits = tidy(() => model.forwardWithAux(tensor(Int32Array.from([1, 2, 3, 4]), [1, 4]), { countLoad: true }).logits);
    const ratios = await updateMoeBiases(model, 0.01);
    expect(ratios).toHaveLength(1);
    expect(ratios[0]).toBeGreaterThanOrEqual(1);
    const bias = Array.from(moeGates(model)[0].e_score_correction_bias!.dataSync());
    expect(bias.every((b) => [-0.01, 0, 0.01].some((v) => Math.abs(b - v) < 1e-9))).toBe(true);
    expect(bias.some((b) => b !== 0)).toBe(true);
    logits.dispose();
    model.dispose();
  });

  it("generates text through a tokenizer", async () => {
    const tok = CharTokenizer.fromText("abcdefghij", { specialTokens: ["<eos>"] });
    const model = new TransformerLM({ ...SMALL, vocabSize: tok.vocabSize });
    const out = await generate(model, [tok.encode("abc")], { maxNewTokens: 4, temperature: 0, tokenizer: tok });
    expect(out.texts![0]).toHaveLength(out.completionLengths[0] - (out.finishReasons[0] === "eos" ? 1 : 0));
    drainLoads(model);
    model.dispose();
  });
});
