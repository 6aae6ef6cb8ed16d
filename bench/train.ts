/**
 * Training throughput: tokens/s of one full step (forward, backward, AdamW) of the `small` model on
 * 32 x 64 tokens and the `medium` model on 32 x 128 tokens, on every backend that starts here, in one
 * run. One JSON object per line: { bench: "train", model, backend, tokensPerSecond, secondsPerStep }.
 * Compare backends by ratio within one run (machines are shared and noisy).
 *
 *   pnpm exec tsx bench/train.ts [--models small,medium] [--backends reference,tfjs] [--steps 2]
 */
import { AdamW, Generator, TransformerLM, dispose, setBackend, tensor, tidy, valueAndGradsOf } from "@r1ts/core";
import { BENCH_MODELS, benchBackends, listFlag } from "./train-models.ts";

const args = process.argv.slice(2);
const models = listFlag(args, "models") ?? ["small", "medium"];
const steps = Number(listFlag(args, "steps")?.[0] ?? 2);
const backends = await benchBackends(listFlag(args, "backends"));

for (const spec of BENCH_MODELS.filter((m) => models.includes(m.name))) {
  for (const backend of backends) {
    await setBackend(backend);
    const model = new TransformerLM({ ...spec.config, seed: 0 });
    const params = model.parameters();
    const optimizer = new AdamW(model.namedParameters(), { lr: 1e-3 });
    const [b, s] = spec.trainBatch;
    const rng = new Generator(1);
    const ids = Int32Array.from({ length: b * (s + 1) }, () => rng.int(spec.config.vocabSize));
    const inputs = new Int32Array(b * s);
    const targets = new Int32Array(b * s);
    for (let r = 0; r < b; r++) for (let t = 0; t < s; t++) {
      inputs[r * s + t] = ids[r * (s + 1) + t];
      targets[r * s + t] = ids[r * (s + 1) + t + 1];
    }
    const step = async () => {
      const loss = tidy(() => {
        const { value, grads } = valueAndGradsOf(() => model.loss(tensor(inputs, [b, s], "i32"), tensor(targets, [b, s], "i32")), params);
        optimizer.step(grads);
        return value;
      });
      await loss.data();
      dispose(loss);
    };
    await step(); // warm-up (kernel compilation, allocation)
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const secondsPerStep = (performance.now() - t0) / 1000 / steps;
    console.log(JSON.stringify({ bench: "train", model: spec.name, backend, tokensPerSecond: Math.round((b * s) / secondsPerStep), secondsPerStep: +secondsPerStep.toFixed(3), parameters: model.numParameters() }));
    optimizer.dispose();
    model.dispose();
  }
}
// GPU device handles can keep Node alive after the last measurement.
process.exit(0);
