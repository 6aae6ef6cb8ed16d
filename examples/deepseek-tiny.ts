/**
 * Every DeepSeek-V3 part at CPU scale: a tiny-deepseek model (MLA with query compression, sigmoid MoE with
 * expert groups and a shared expert after a dense layer, YaRN) trained for a few steps with FP8 linear
 * layers and the auxiliary-loss-free bias update, then decoding with the MLA latent cache.
 *   npx -y pnpm@12.4.2 exec tsx examples/deepseek-tiny.ts [--steps 40]
 */
import { parseArgs } from "node:util";
import * as r from "@r1ts/core";

const TEXT =
  "alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: " +
  "once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it. ";

export interface DeepseekTinyResult {
  losses: number[];
  /** Max / mean expert load of the MoE layers, per step (1 = balanced). */
  loadRatios: number[];
  params: number;
  activatedParams: number;
  cacheValuesPerTokenPerLayer: number;
  completion: string;
  liveTensorsAfter: number;
}

export async function deepseekTiny({ steps = 40, newTokens = 30, log = console.log }: { steps?: number; newTokens?: number; log?: (line: string) => void } = {}): Promise<DeepseekTinyResult> {
  await r.setBackend("reference");
  const tokenizer = r.CharTokenizer.fromText(TEXT, { specialTokens: ["<eos>"] });
  const config = r.presetConfig("tiny-deepseek", { vocabSize: tokenizer.vocabSize, dim: 48, nLayers: 2, seed: 2 });
  const { params, activatedParams } = r.countParameters(config);
  const before = r.memory().numTensors;
  const model = new r.TransformerLM(config);
  r.enableFp8Training(model); // FP8 forward GEMMs in every Linear but the output head
  const optimizer = new r.AdamW(model.namedParameters(), { lr: 3e-3, weightDecay: 0 });
  const ids = tokenizer.encode(TEXT.repeat(4));
  const data = new r.Generator(1);
  const [batch, seq] = [4, 48];
  const losses: number[] = [];
  const loadRatios: number[] = [];
  for (let step = 0; step < steps; step++) {
    const starts = Array.from({ length: batch }, () => data.int(ids.length - seq - 1));
    const x = r.tensor(Int32Array.from(starts.flatMap((s) => ids.slice(s, s + seq))), [batch, seq]);
    const y = r.tensor(Int32Array.from(starts.flatMap((s) => ids.slice(s + 1, s + seq + 1))), [batch, seq]);
    // The loss includes the MoE layers' sequence-wise balance loss (alpha = 1e-4); a training forward
    // counts the experts' loads (countLoad), which the bias update below reads.
    const { value, grads } = r.valueAndGradsOf(() => model.loss(x, y, undefined, { countLoad: true }), model.parameters());
    losses.push(value.itemSync());
    optimizer.step(grads);
    r.dispose([x, y, value, grads]);
    // Auxiliary-loss-free balancing: b_i -= gamma if expert i was overloaded this step, += gamma if underloaded.
    loadRatios.push(Math.max(...(await r.updateMoeBiases(model, 0.001))));
    if (step % 10 === 0 || step === steps - 1) log(`step ${step}: loss ${losses[step].toFixed(3)}, max/mean expert load ${loadRatios[step].toFixed(2)}`);
  }
  // Decoding keeps only the latent c and the shared RoPE key per token per layer.
  const out = await r.generate(model, [tokenizer.encode("alice was ")], { maxNewTokens: newTokens, temperature: 0, tokenizer });
  const cache = model.createCache();
  r.tidy(() => model.forwardCached(r.tensor(Int32Array.from([1, 2, 3]), [1, 3]), cache, { positions: [0, 1, 2] })).dispose();
  const cacheValuesPerTokenPerLayer = cache.valuesPerTokenPerLayer();
  cache.dispose();
  log(`${(params / 1e6).toFixed(3)}M parameters, ${(activatedParams / 1e6).toFixed(3)}M activated per token; latent cache ${cacheValuesPerTokenPerLayer} values per token per layer`);
  log(`"alice was " -> ${JSON.stringify(out.texts![0])}`);
  optimizer.dispose();
  model.dispose();
  return { losses, loadRatios, params, activatedParams, cacheValuesPerTokenPerLayer, completion: out.texts![0], liveTensorsAfter: r.memory().numTensors - before };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { steps: { type: "string", default: "40" } } });
  await deepseekTiny({ steps: Number(values.steps) });
}
