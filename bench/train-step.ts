/**
 * One measured training step (forward, backward, AdamW) of a bench model on a random batch: seconds
 * (median of the timed steps after a warm-up) and memory from the engine's byte accounting (the most
 * bytes live tensors held during a step, above what was held before it, and the optimizer state).
 */
import { AdamW, type Tensor, type Variable, Generator, dispose, memory, peakMemoryBytes, resetPeakMemory, tensor, tidy, valueAndGradsOf } from "@r1ts/core";

export interface StepMeasurement {
  secondsPerStep: number;
  /** Peak bytes during a step above the bytes held before it (activations, gradients, temporaries). */
  stepPeakBytes: number;
  /** Bytes held between steps (weights, optimizer state) and the optimizer state alone. */
  residentBytes: number;
  optimizerBytes: number;
  trainableParameters: number;
}

/** A random next-token batch [rows, tokens] over `vocab`. */
export function randomBatch(vocab: number, rows: number, tokens: number, seed = 1): { inputs: Tensor; targets: Tensor } {
  const rng = new Generator(seed);
  const ids = Int32Array.from({ length: rows * (tokens + 1) }, () => rng.int(vocab));
  const inputs = new Int32Array(rows * tokens);
  const targets = new Int32Array(rows * tokens);
  for (let r = 0; r < rows; r++) for (let t = 0; t < tokens; t++) {
    inputs[r * tokens + t] = ids[r * (tokens + 1) + t];
    targets[r * tokens + t] = ids[r * (tokens + 1) + t + 1];
  }
  return { inputs: tensor(inputs, [rows, tokens], "i32"), targets: tensor(targets, [rows, tokens], "i32") };
}

export async function measureTrainStep(loss: () => Tensor, params: Map<string, Variable>, steps: number): Promise<StepMeasurement> {
  const held = memory().numBytes;
  const optimizer = new AdamW(params, { lr: 1e-4 });
  const sources = [...params.values()];
  const step = async () => {
    const value = tidy(() => {
      const { value: v, grads } = valueAndGradsOf(loss, sources);
      optimizer.step(grads);
      return v;
    });
    await value.data();
    dispose(value);
  };
  await step(); // warm-up
  const resident = memory().numBytes;
  let peak = 0;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    resetPeakMemory();
    const t0 = performance.now();
    await step();
    times.push((performance.now() - t0) / 1000);
    peak = Math.max(peak, peakMemoryBytes() - resident);
  }
  times.sort((a, b) => a - b);
  optimizer.dispose();
  return {
    secondsPerStep: times[Math.floor(times.length / 2)],
    stepPeakBytes: peak,
    residentBytes: resident,
    optimizerBytes: resident - held,
    trainableParameters: sources.reduce((a, v) => a + v.size, 0),
  };
}

export const mib = (bytes: number): number => +(bytes / 2 ** 20).toFixed(2);
