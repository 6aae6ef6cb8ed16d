/**
 * Gradient checkpointing on the `medium` bench model (dim 256, 6 layers, 32 x 128 tokens): the peak
 * memory of a training step and its time, with and without recomputing each block in backward, in one
 * run. Memory is the engine's count of bytes held by live tensors (the same on every backend); time is
 * for the backend named. One JSON line per setting, then the ratios.
 *
 *   pnpm exec tsx bench/gradient-checkpointing.ts [--backends tfjs] [--steps 2] [--models medium]
 */
import { TransformerLM, setBackend } from "@r1ts/core";
import { BENCH_MODELS, benchBackends, listFlag } from "./train-models.ts";
import { measureTrainStep, mib, randomBatch } from "./train-step.ts";

const args = process.argv.slice(2);
const steps = Number(listFlag(args, "steps")?.[0] ?? 2);
const models = listFlag(args, "models") ?? ["medium"];
const backends = await benchBackends(listFlag(args, "backends") ?? ["tfjs"]);

for (const spec of BENCH_MODELS.filter((m) => models.includes(m.name))) {
  for (const backend of backends) {
    await setBackend(backend);
    const model = new TransformerLM({ ...spec.config, seed: 0 });
    const { inputs, targets } = randomBatch(spec.config.vocabSize, ...spec.trainBatch);
    const results: Record<string, Awaited<ReturnType<typeof measureTrainStep>>> = {};
    for (const checkpointing of [false, true]) {
      model.setGradientCheckpointing(checkpointing);
      const m = await measureTrainStep(() => model.loss(inputs, targets), model.namedParameters(), steps);
      results[String(checkpointing)] = m;
      console.log(JSON.stringify({ bench: "gradient-checkpointing", model: spec.name, backend, checkpointing, secondsPerStep: +m.secondsPerStep.toFixed(3), stepPeakMiB: mib(m.stepPeakBytes), residentMiB: mib(m.residentBytes) }));
    }
    const [off, on] = [results.false, results.true];
    console.log(JSON.stringify({ bench: "gradient-checkpointing", model: spec.name, backend, peakRatio: +(on.stepPeakBytes / off.stepPeakBytes).toFixed(3), timeRatio: +(on.secondsPerStep / off.secondsPerStep).toFixed(3) }));
    inputs.dispose();
    targets.dispose();
    model.dispose();
  }
}
process.exit(0);
