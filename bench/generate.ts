/**
 * Batched generation throughput: 128 rows, 8-token prompts, 32 new tokens each, KV cache, sampling at
 * temperature 1, for the `small` and `medium` models, on every backend that starts here, in one run.
 * One JSON object per line: { bench: "generate", model, backend, tokensPerSecond } (new tokens / s).
 *
 *   pnpm exec tsx bench/generate.ts [--models small,medium] [--backends reference,tfjs] [--rows 128]
 */
import { Generator, TransformerLM, generate, setBackend } from "@r1ts/core";
import { BENCH_MODELS, benchBackends, listFlag } from "./train-models.ts";

const args = process.argv.slice(2);
const models = listFlag(args, "models") ?? ["small", "medium"];
const rows = Number(listFlag(args, "rows")?.[0] ?? 128);
const newTokens = 32;
const backends = await benchBackends(listFlag(args, "backends"));

for (const spec of BENCH_MODELS.filter((m) => models.includes(m.name))) {
  for (const backend of backends) {
    await setBackend(backend);
    const model = new TransformerLM({ ...spec.config, seed: 0 });
    const rng = new Generator(2);
    const prompts = Array.from({ length: rows }, () => Array.from({ length: 8 }, () => 1 + rng.int(spec.config.vocabSize - 1)));
    // No EOS: every row generates exactly 32 tokens.
    const run = () => generate(model, prompts, { maxNewTokens: newTokens, temperature: 1, seed: 3 });
    await generate(model, prompts.slice(0, 8), { maxNewTokens: 4, temperature: 1, seed: 3 }); // warm-up
    const t0 = performance.now();
    const out = await run();
    const seconds = (performance.now() - t0) / 1000;
    const tokens = out.completionLengths.reduce((a, n) => a + n, 0);
    console.log(JSON.stringify({ bench: "generate", model: spec.name, backend, tokensPerSecond: Math.round(tokens / seconds), seconds: +seconds.toFixed(3), rows, newTokens }));
    model.dispose();
  }
}
// GPU device handles can keep Node alive after the last measurement.
process.exit(0);
