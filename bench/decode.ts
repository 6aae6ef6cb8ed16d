/**
 * Decode speed of a small MLA model (the tiny-deepseek preset: MLA + MoE + YaRN) on the reference
 * backend: tokens/s with the absorbed latent cache (576-style: kvLoraRank + qkRopeHeadDim values per
 * token per layer), with the naive full K/V cache, and without a cache (the whole sequence recomputed
 * every step, the baseline), all in the same run. Ratios are against the no-cache baseline.
 *
 *   npx -y pnpm@12.4.2 exec tsx bench/decode.ts [--prompt 32] [--new 64] [--batch 1]
 */
import { parseArgs } from "node:util";
import { TransformerLM, countParameters, generate, presetConfig, setBackend } from "@r1ts/core";

const { values } = parseArgs({ options: { prompt: { type: "string", default: "32" }, new: { type: "string", default: "64" }, batch: { type: "string", default: "1" } } });
const [promptLen, newTokens, batch] = [Number(values.prompt), Number(values.new), Number(values.batch)];
await setBackend("reference");

const config = presetConfig("tiny-deepseek", { maxSeqLen: 512, seed: 1 });
const prompts = Array.from({ length: batch }, (_, b) => Array.from({ length: promptLen }, (_, i) => (i * 7 + b * 13) % config.vocabSize));
const counts = countParameters(config);

async function run(label: string, mlaAbsorb: boolean, useCache: boolean): Promise<Record<string, string | number>> {
  const model = new TransformerLM({ ...config, mlaAbsorb });
  await generate(model, prompts, { maxNewTokens: 4, temperature: 0, useCache }); // warm-up
  const t0 = performance.now();
  const out = await generate(model, prompts, { maxNewTokens: newTokens, temperature: 0, useCache });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  const tokens = out.completionLengths.reduce((a, b) => a + b, 0);
  return { label, seconds, tokensPerSecond: tokens / seconds, completion: out.completionIds[0].slice(0, 8).join(",") };
}

const rows = [
  await run("no cache (recompute every step)", true, false),
  await run("naive cache (full K/V)", false, true),
  await run("latent cache (absorbed MLA)", true, true),
];
const base = rows[0].tokensPerSecond as number;
console.log(`tiny-deepseek (${(counts.params / 1e6).toFixed(2)}M params, MLA kv rank ${config.kvLoraRank}), prompt ${promptLen}, ${newTokens} new tokens, batch ${batch}, greedy`);
console.log(`cache values per token per layer: latent ${counts.kvCacheValuesPerTokenPerLayer.mla}, naive ${counts.kvCacheValuesPerTokenPerLayer.naive}`);
console.table(rows.map((r) => ({
  decoding: r.label,
  "tokens/s": (r.tokensPerSecond as number).toFixed(1),
  "vs no cache": `${((r.tokensPerSecond as number) / base).toFixed(2)}x`,
  "first tokens": r.completion,
})));
