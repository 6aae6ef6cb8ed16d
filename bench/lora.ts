/**
 * LoRA against full fine-tuning on the `medium` bench model (32 x 128 tokens): trainable parameters,
 * optimizer state, peak memory of a training step and its time, in one run, for full fine-tuning, LoRA
 * r 8 on q_proj/v_proj (PEFT's default) and LoRA r 8 on every linear layer; then the ratios to full
 * fine-tuning. Memory is the engine's count of bytes held by live tensors.
 *
 *   pnpm exec tsx bench/lora.ts [--backends tfjs] [--steps 2] [--models medium]
 */
import { TransformerLM, applyLora, setBackend } from "@r1ts/core";
import { BENCH_MODELS, benchBackends, listFlag } from "./train-models.ts";
import { type StepMeasurement, measureTrainStep, mib, randomBatch } from "./train-step.ts";

const args = process.argv.slice(2);
const steps = Number(listFlag(args, "steps")?.[0] ?? 2);
const models = listFlag(args, "models") ?? ["medium"];
const backends = await benchBackends(listFlag(args, "backends") ?? ["tfjs"]);
const SETTINGS = [
  { name: "full", lora: undefined },
  { name: "lora-qv-r8", lora: { r: 8, alpha: 16, targetModules: ["q_proj", "v_proj"] } },
  { name: "lora-all-linear-r8", lora: { r: 8, alpha: 16, targetModules: "all-linear" } },
] as const;

for (const spec of BENCH_MODELS.filter((m) => models.includes(m.name))) {
  for (const backend of backends) {
    await setBackend(backend);
    const { inputs, targets } = randomBatch(spec.config.vocabSize, ...spec.trainBatch);
    const results: Record<string, StepMeasurement> = {};
    for (const setting of SETTINGS) {
      const model = new TransformerLM({ ...spec.config, seed: 0 });
      const lora = setting.lora ? applyLora(model, { ...setting.lora, targetModules: setting.lora.targetModules as string[] | string }) : undefined;
      const m = await measureTrainStep(() => model.loss(inputs, targets), lora ? lora.namedParameters() : model.namedParameters(), steps);
      results[setting.name] = m;
      console.log(JSON.stringify({
        bench: "lora", model: spec.name, backend, setting: setting.name, trainableParameters: m.trainableParameters, parameters: model.numParameters(),
        secondsPerStep: +m.secondsPerStep.toFixed(3), stepPeakMiB: mib(m.stepPeakBytes), optimizerMiB: mib(m.optimizerBytes), residentMiB: mib(m.residentBytes),
      }));
      lora?.dispose();
      model.dispose();
    }
    for (const name of ["lora-qv-r8", "lora-all-linear-r8"]) {
      const [full, l] = [results.full, results[name]];
      console.log(JSON.stringify({
        bench: "lora", model: spec.name, backend, setting: name, vsFull: {
          trainable: +(l.trainableParameters / full.trainableParameters).toFixed(4), optimizer: +(l.optimizerBytes / full.optimizerBytes).toFixed(4),
          stepPeak: +(l.stepPeakBytes / full.stepPeakBytes).toFixed(3), total: +((l.residentBytes + l.stepPeakBytes) / (full.residentBytes + full.stepPeakBytes)).toFixed(3),
          time: +(l.secondsPerStep / full.secondsPerStep).toFixed(3),
        },
      }));
    }
    inputs.dispose();
    targets.dispose();
  }
}
process.exit(0);
