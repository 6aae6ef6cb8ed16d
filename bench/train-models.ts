/**
 * The Llama-style models of the training and generation benchmarks (vocab 32, RMSNorm, RoPE, SwiGLU),
 * and the backends to measure: every registered one that initialises here.
 */
import "@r1ts/backend-tfjs";
import "@r1ts/backend-onnx";
import { type TransformerConfigInput, lastBackendSelection, registeredBackends, setBackend } from "@r1ts/core";

export interface BenchModel {
  name: "small" | "medium";
  config: TransformerConfigInput;
  /** Training batch: rows x tokens. */
  trainBatch: [number, number];
}

export const BENCH_MODELS: BenchModel[] = [
  { name: "small", config: { vocabSize: 32, dim: 128, nLayers: 4, nHeads: 4, interDim: 344, maxSeqLen: 256 }, trainBatch: [32, 64] },
  { name: "medium", config: { vocabSize: 32, dim: 256, nLayers: 6, nHeads: 8, interDim: 688, maxSeqLen: 256 }, trainBatch: [32, 128] },
];

/** Backends to try: the `--backends` list, else every registered one except the per-device aliases. */
export async function benchBackends(only?: string[]): Promise<string[]> {
  // WebGPU registers itself when imported (on a software Vulkan driver it starts, at a low priority).
  await import("@r1ts/backend-webgpu").catch((error: Error) => console.error(`backend webgpu not loaded: ${error.message.split("\n")[0]}`));
  const names = only ?? registeredBackends().map((f) => f.name).filter((n) => !/^tfjs-|^onnx-cuda$/.test(n));
  const ok: string[] = [];
  for (const name of names) {
    try {
      await setBackend(name);
      ok.push(lastBackendSelection()?.chosen ?? name);
    } catch (error) {
      console.error(`backend ${name} does not start here: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return ok;
}

export function listFlag(args: string[], name: string): string[] | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1].split(",") : undefined;
}
