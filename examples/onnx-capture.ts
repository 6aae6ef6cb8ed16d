/**
 * Captured steps on ONNX Runtime: a small TransformerLM learns to copy a fixed sequence with one
 * compiled training step (forward, backward, clipping, AdamW as one ONNX graph, built once), then
 * generates with captured prefill/decode over a preallocated cache. Prints the loss curve, the graphs
 * built (and how long each took) and a greedy sample.
 *
 *   pnpm exec tsx examples/onnx-capture.ts [--steps 40]
 */
import { parseArgs } from "node:util";
import "@r1ts/backend-onnx"; // registers "onnx"
import { AdamW, type Tensor, TransformerLM, captureStats, compileTrainingStep, dispose, generate, releaseCapturedDecoding, setBackend, tensor } from "@r1ts/core";

export interface OnnxCaptureResult {
  losses: number[];
  sample: number[];
  graphs: { fn: string; runs: number; buildMs: number }[];
}

const SEQUENCE = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

export async function onnxCapture({ steps = 40 } = {}): Promise<OnnxCaptureResult> {
  await setBackend("onnx");
  const model = new TransformerLM({ vocabSize: 16, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 64, maxSeqLen: 32, seed: 0 });
  const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2, weightDecay: 0 });
  // One graph for every step: the batch shapes never change; lr and the step count are inputs.
  const step = compileTrainingStep<{ inputs: Tensor; targets: Tensor }>({
    name: "copyStep",
    parameters: model.parameters(),
    optimizer,
    loss: ({ inputs, targets }) => model.loss(inputs, targets),
    maxGradNorm: 1,
  });
  const rows = 4;
  const inputs = tensor(Int32Array.from({ length: rows * 11 }, (_, i) => SEQUENCE[i % 11]), [rows, 11], "i32");
  const targets = tensor(Int32Array.from({ length: rows * 11 }, (_, i) => SEQUENCE[(i % 11) + 1]), [rows, 11], "i32");
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const out = step([{ inputs, targets }], 1e-2);
    losses.push(out.loss.dataSync()[0]);
    dispose(out);
  }
  // Prefill and decode are captured too (the default on onnx).
  const { completionIds } = await generate(model, [SEQUENCE.slice(0, 3)], { maxNewTokens: 8, temperature: 0 });
  const graphs = captureStats().flatMap((s) => s.graphs.map((g) => ({ fn: s.name, runs: g.runs, buildMs: Math.round(g.traceMs + g.buildMs) })));
  step.dispose();
  releaseCapturedDecoding(model);
  dispose([inputs, targets]);
  optimizer.dispose();
  model.dispose();
  return { losses, sample: completionIds[0], graphs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { steps: { type: "string", default: "40" } } });
  const { losses, sample, graphs } = await onnxCapture({ steps: Number(values.steps) });
  console.log(`loss ${losses[0].toFixed(3)} -> ${losses[losses.length - 1].toFixed(3)} in ${losses.length} steps`);
  for (const g of graphs) console.log(`graph ${g.fn}: built in ${g.buildMs} ms, ran ${g.runs} times`);
  console.log(`greedy continuation of [1, 2, 3]: ${sample.join(", ")}`);
}
