/**
 * Decoding attention that reads a static KV cache in place. A captured decoding step writes its new
 * rows into each cache (CacheWrite, assigned back to the cache variable) and the attention kernel then
 * reads the written cache. Lowered literally, ORT copies every cache on every step (ScatterND's output,
 * then into the fetched buffer): on a large batch that copy is most of the step. So, when a bounded
 * Attention / MLAAttention reads caches that are written this way and read by nothing else:
 *
 * - the attention becomes two blocks of keys merged in one softmax (max, exponentials, sums over both):
 *   the cache as the graph received it, with the columns [start, start + S) masked (they still hold
 *   what was there before), and the S new rows, which sit at those columns;
 * - the graph outputs the new rows instead of the whole cache, and the executor writes them into the
 *   cache variable's buffer after the run (`writeRows`), which is what CacheWrite computes.
 *
 * The result equals the literal lowering's (to float rounding of the softmax sums).
 */
import type { Trace, TraceNode } from "@r1ts/core";
import type { GraphBuilder } from "../graph-builder.ts";
import { INT32, INT64 } from "../dtypes.ts";
import { boundsMask } from "./fused.ts";
import { reshape } from "./lowering.ts";

export interface CacheAttention {
  /** The node's cache inputs (value ids of the cache variables' graph inputs), in kernel order. */
  caches: number[];
  /** The new rows written into each cache. */
  updates: number[];
  /** The (unclamped) start column, i32 [1], shared by every write. */
  start: number;
}

export interface CacheAttentionPlan {
  /** Attention nodes (by index in trace.nodes) lowered by `lowerCacheAttention`. */
  attention: Map<number, CacheAttention>;
  /** CacheWrite nodes left out of the graph (their rows are written on the host). */
  skipped: Set<number>;
  /** Assignment index -> the rows written into its variable, the start column, the variable's input index. */
  writes: Map<number, { update: number; start: number; input: number }>;
}

/** Which inputs of a bounded attention kernel are caches: k and v; the latent c and the RoPE key. */
const CACHE_INPUTS: Record<string, { arity: number; caches: number[] }> = { Attention: { arity: 4, caches: [1, 2] }, MLAAttention: { arity: 5, caches: [2, 3] } };

export function planCacheAttention(trace: Trace): CacheAttentionPlan {
  const plan: CacheAttentionPlan = { attention: new Map(), skipped: new Set(), writes: new Map() };
  const uses = new Map<number, number>();
  for (const n of trace.nodes) for (const id of n.inputs) uses.set(id, (uses.get(id) ?? 0) + 1);
  for (const id of trace.outputs) uses.set(id, (uses.get(id) ?? 0) + 1);
  const producer = new Map<number, { node: TraceNode; index: number }>();
  trace.nodes.forEach((node, index) => node.outputs.forEach((id) => producer.set(id, { node, index })));
  const inputIndex = new Map(trace.inputs.map((input, i) => [input.value, i]));
  trace.nodes.forEach((node, index) => {
    const kind = CACHE_INPUTS[node.kernel];
    if (!kind || node.inputs.length !== kind.arity) return;
    const writes: { write: number; cache: number; update: number; start: number; assignment: number; input: number }[] = [];
    for (const k of kind.caches) {
      const written = node.inputs[k];
      const p = producer.get(written);
      if (!p || p.node.kernel !== "CacheWrite") return;
      const [cache, update, start] = p.node.inputs;
      const input = inputIndex.get(cache);
      const source = input === undefined ? undefined : trace.inputs[input].source;
      if (source?.kind !== "variable" || uses.get(cache) !== 1 || uses.get(written) !== 1 || trace.values[cache].dtype !== "f32") return;
      const assignment = trace.assignments.findIndex((a) => a.value === written && a.variable === source.variable);
      if (assignment < 0) return;
      writes.push({ write: p.index, cache, update, start, assignment, input: input! });
    }
    if (writes.some((w) => w.start !== writes[0].start)) return;
    plan.attention.set(index, { caches: writes.map((w) => w.cache), updates: writes.map((w) => w.update), start: writes[0].start });
    for (const w of writes) {
      plan.skipped.add(w.write);
      plan.writes.set(w.assignment, { update: w.update, start: w.start, input: w.input });
    }
  });
  return plan;
}

/**
 * The two-block lowering of a planned attention node; `x` are its input names with the written
 * caches replaced by the caches as received. Returns the output name.
 */
export function lowerCacheAttention(g: GraphBuilder, node: TraceNode, x: readonly string[], plan: CacheAttention, names: (id: number) => string, shapeOf: (id: number) => readonly number[]): string {
  const { scale, causal, queryOffset } = node.attrs as { scale: number; causal: boolean; queryOffset: number };
  const [cache0, cache1] = plan.caches.map(names);
  const [new0, new1] = plan.updates.map(names);
  const t = shapeOf(plan.caches[0]).at(-2)!;
  const s = shapeOf(plan.updates[0]).at(-2)!;
  const bounds = x[x.length - 1];
  const transposeLast = (v: string): string => g.op("Transpose", [v], { perm: [0, 1, 3, 2] });
  // The new rows' columns: start clamped to [0, T - S] (as CacheWrite), then start + 0..S-1.
  const first = g.op("Cast", [g.op("Clip", [g.op("Cast", [reshape(g, names(plan.start), [1])], { to: INT64 }), g.int64(0), g.int64(t - s)])], { to: INT32 });
  const newColumns = reshape(g, g.op("Add", [first, g.i32(Array.from({ length: s }, (_, i) => i))]), [1, 1, 1, s]);
  let b: number;
  let rows: number;
  let scoresOld: string;
  let scoresNew: string;
  let valuesOld: string;
  let valuesNew: string;
  let outShape: number[] | undefined;
  if (node.kernel === "Attention") {
    const [bb, h, sq, dk] = shapeOf(node.inputs[0]);
    const hkv = shapeOf(plan.caches[0])[1];
    b = bb;
    rows = (h / hkv) * sq;
    const qg = reshape(g, x[0], [b, hkv, rows, dk]);
    scoresOld = g.op("Mul", [g.op("MatMul", [qg, transposeLast(cache0)]), g.f32(scale)]);
    scoresNew = g.op("Mul", [g.op("MatMul", [qg, transposeLast(new0)]), g.f32(scale)]);
    [valuesOld, valuesNew] = [cache1, new1];
    outShape = [b, h, sq, shapeOf(plan.caches[1])[3]];
  } else {
    // MLA: qLat [B, H, S, Dc], qPe [B, H, S, Dr] against the latent c [B, T, Dc] and the RoPE key [B, T, Dr].
    const [bb, , sq] = shapeOf(node.inputs[0]);
    b = bb;
    rows = sq;
    const dc = shapeOf(plan.caches[0])[2];
    const dr = shapeOf(plan.caches[1])[2];
    const block = (c: string, kpe: string, n: number): [string, string] => {
      const latent = reshape(g, c, [b, 1, n, dc]);
      const dots = g.op("Add", [g.op("MatMul", [x[0], transposeLast(latent)]), g.op("MatMul", [x[1], transposeLast(reshape(g, kpe, [b, 1, n, dr]))])]);
      return [g.op("Mul", [dots, g.f32(scale)]), latent];
    };
    [scoresOld, valuesOld] = block(cache0, cache1, t);
    [scoresNew, valuesNew] = block(new0, new1, s);
  }
  const old = boundsMask(g, bounds, b, rows, s, t, causal, queryOffset);
  // The old contents of the new rows' columns are not keys: mask columns [first, first + S) of the cache block.
  const keys = g.constant(Int32Array.from({ length: t }, (_, i) => i), "i32", [1, 1, 1, t]);
  const stale = g.op("And", [g.op("GreaterOrEqual", [keys, reshape(g, first, [1, 1, 1, 1])]), g.op("Less", [keys, g.op("Add", [reshape(g, first, [1, 1, 1, 1]), g.i32(s)])])]);
  const oldScores = g.op("Where", [stale, g.f32(-1e9), g.op("Add", [scoresOld, old.additive])]);
  const fresh = boundsMask(g, bounds, b, rows, s, s, causal, queryOffset, newColumns);
  const newScores = g.op("Add", [scoresNew, fresh.additive]);
  // One softmax over both blocks: exp(x - m) / sum with m the larger of the two row maxima.
  const m = g.op("Max", [g.op("ReduceMax", [oldScores, g.int64s([3])], { keepdims: 1 }), g.op("ReduceMax", [newScores, g.int64s([3])], { keepdims: 1 })]);
  const eOld = g.op("Exp", [g.op("Sub", [oldScores, m])]);
  const eNew = g.op("Exp", [g.op("Sub", [newScores, m])]);
  const total = g.op("Add", [g.op("ReduceSum", [eOld, g.int64s([3])], { keepdims: 1 }), g.op("ReduceSum", [eNew, g.int64s([3])], { keepdims: 1 })]);
  const weighted = g.op("Add", [g.op("MatMul", [eOld, valuesOld]), g.op("MatMul", [eNew, valuesNew])]);
  const anyVisible = g.op("Max", [old.anyVisible, fresh.anyVisible]);
  const out = g.op("Mul", [g.op("Div", [weighted, total]), anyVisible]);
  return outShape ? reshape(g, out, outShape) : out;
}

/**
 * CacheWrite on the host, in place: rows start' .. start' + S - 1 of axis rank - 2 of `cache` take the
 * rows of `update`, start' = clamp(start, 0, T - S).
 */
export function writeRows(cache: Float32Array, cacheShape: readonly number[], update: Float32Array, updateShape: readonly number[], start: number): void {
  const r = cacheShape.length;
  const [t, d] = [cacheShape[r - 2], cacheShape[r - 1]];
  const s = updateShape[r - 2];
  const first = Math.min(Math.max(start, 0), t - s);
  const lead = cacheShape.slice(0, r - 2).reduce((a, b) => a * b, 1);
  const block = s * d;
  for (let l = 0; l < lead; l++) cache.set(update.subarray(l * block, (l + 1) * block), (l * t + first) * d);
}
