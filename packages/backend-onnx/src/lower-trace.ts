/**
 * A captured trace (core's compile/) as one ONNX model: trace inputs become graph inputs, constants
 * initializers, every kernel call its lowering, and the trace's outputs and variable assignments graph
 * outputs (in that order).
 */
import type { KernelAttrs, KernelName, Trace, TensorSpec } from "@r1ts/core";
import { GraphBuilder } from "./graph-builder.ts";
import { lowerCacheAttention, planCacheAttention } from "./lower/cache-attention.ts";
import { LOWERINGS } from "./lower/index.ts";
import { reshape } from "./lower/lowering.ts";

export interface LoweredGraph {
  model: Uint8Array;
  inputNames: string[];
  outputNames: string[];
  /** ONNX nodes in the model (before ORT's optimisations). */
  nodes: number;
  /**
   * Outputs that may be written into their input's buffer (buffer donation): output index -> input
   * index, for variables whose only use is a CacheWrite whose result is the variable's new value.
   */
  donations: Map<number, number>;
  /** Every graph output's shape and dtype: the trace's results, then `extraOutputs` more. */
  outputSpecs: TensorSpec[];
  /**
   * Cache writes done on the host after a run (lower/cache-attention.ts): result `result` is then the
   * variable of input `input`, with the rows of graph output `result` (the update) written in at the
   * column in graph output `start` (an index past the results).
   */
  hostWrites: { result: number; input: number; start: number }[];
  /** Graph outputs after the trace's results (the host writes' start columns). */
  extraOutputs: number;
}

export function lowerTrace(trace: Trace, name: string): LoweredGraph {
  const g = new GraphBuilder(name);
  const names = new Map<number, string>();
  const spec = (id: number): TensorSpec => ({ shape: [...trace.values[id].shape], dtype: trace.values[id].dtype });
  const inputNames = trace.inputs.map((input, i) => {
    const n = `in${i}_${input.name.replace(/[^\w]+/g, "_")}`;
    const v = trace.values[input.value];
    g.input(n, v.dtype, v.shape);
    names.set(input.value, n);
    return n;
  });
  // Constants of one repeated value are stored once and expanded; zeros of that kind (a broadcast's) are tracked.
  const zeros = new Set<number>();
  for (const c of trace.constants) {
    const v = trace.values[c.value];
    if (c.splat) {
      names.set(c.value, g.op("Expand", [g.constant(c.values, v.dtype, []), g.int64s(v.shape)]));
      if (c.values[0] === 0) zeros.add(c.value);
    } else names.set(c.value, g.constant(c.values, v.dtype, v.shape));
  }
  const plan = planCacheAttention(trace);
  for (const [index, node] of trace.nodes.entries()) {
    if (plan.skipped.has(index)) continue;
    const ins = node.inputs.map((id) => names.get(id)!);
    const cacheAttention = plan.attention.get(index);
    if (cacheAttention) {
      names.set(node.outputs[0], lowerCacheAttention(g, node, ins, cacheAttention, (id) => names.get(id)!, (id) => trace.values[id].shape));
      continue;
    }
    if (node.kernel === "Add" && zeros.has(node.inputs[1])) {
      // x + zeros(shape) is core's broadcastTo: an Expand, without the addition.
      names.set(node.outputs[0], g.op("Expand", [ins[0], g.int64s(trace.values[node.outputs[0]].shape)]));
      continue;
    }
    if (node.kernel === "Reshape") {
      names.set(node.outputs[0], reshape(g, ins[0], node.attrs.shape as number[]));
      continue;
    }
    const kernel = node.kernel as KernelName;
    const lower = LOWERINGS[kernel] as (g: GraphBuilder, x: readonly string[], a: KernelAttrs[KernelName], c: { inputs: TensorSpec[]; outputs: TensorSpec[] }) => string[];
    const outs = lower(g, ins, node.attrs as KernelAttrs[KernelName], { inputs: node.inputs.map(spec), outputs: node.outputs.map(spec) });
    node.outputs.forEach((id, i) => names.set(id, outs[i]));
  }
  // Host-written caches output their new rows (and, once per start column, the column) instead.
  const starts = [...new Set([...plan.writes.values()].map((w) => w.start))];
  const results = [...trace.outputs, ...trace.assignments.map((a, k) => plan.writes.get(k)?.update ?? a.value), ...starts];
  const inputsAndConstants = new Set([...trace.inputs.map((i) => i.value), ...trace.constants.map((c) => c.value)]);
  const renamed = new Set<number>();
  const outputNames = results.map((id, i) => {
    const n = `out${i}`;
    const source = names.get(id)!;
    // A node's output becomes the graph output itself (no copy), unless it is an input, a constant or a second output.
    if (inputsAndConstants.has(id) || renamed.has(id) || !g.renameNodeOutput(source, n)) g.node("Identity", [source], {}, { outputs: [n] });
    else {
      renamed.add(id);
      names.set(id, n);
    }
    const v = trace.values[id];
    g.output(n, v.dtype, v.shape);
    return n;
  });
  const hostWrites = [...plan.writes.entries()].map(([k, w]) => ({ result: trace.outputs.length + k, input: w.input, start: trace.outputs.length + trace.assignments.length + starts.indexOf(w.start) }));
  const donated = donations(trace);
  for (const w of hostWrites) donated.delete(w.result);
  return { model: g.encode(), inputNames, outputNames, nodes: g.nodeCount, donations: donated, outputSpecs: results.map(spec), hostWrites, extraOutputs: starts.length };
}

/**
 * A variable whose single use is CacheWrite(variable, ...) and whose new value is that CacheWrite's
 * result: ScatterND runs with the output buffer equal to the input buffer, so no second cache-sized
 * buffer is allocated (the old value is read by nothing else). ORT still copies the cache on the way
 * (a decode step's cost grew with the cache), so the caches a bounded attention reads are written on
 * the host instead (lower/cache-attention.ts); this covers the other CacheWrites.
 */
function donations(trace: Trace): Map<number, number> {
  const uses = new Map<number, number>();
  for (const n of trace.nodes) for (const id of n.inputs) uses.set(id, (uses.get(id) ?? 0) + 1);
  for (const id of [...trace.outputs, ...trace.assignments.map((a) => a.value)]) uses.set(id, (uses.get(id) ?? 0) + 1);
  const producer = new Map<number, (typeof trace.nodes)[number]>();
  for (const n of trace.nodes) for (const id of n.outputs) producer.set(id, n);
  const out = new Map<number, number>();
  trace.assignments.forEach((a, k) => {
    const inputIndex = trace.inputs.findIndex((i) => i.source.kind === "variable" && i.source.variable === a.variable);
    if (inputIndex < 0) return;
    const node = producer.get(a.value);
    const inputValue = trace.inputs[inputIndex].value;
    if (node?.kernel === "CacheWrite" && node.inputs[0] === inputValue && uses.get(inputValue) === 1 && uses.get(a.value) === 1 + countUses(trace, a.value)) {
      out.set(trace.outputs.length + k, inputIndex);
    }
  });
  return out;
}

function countUses(trace: Trace, id: number): number {
  let n = 0;
  for (const node of trace.nodes) for (const i of node.inputs) if (i === id) n++;
  return n;
}
