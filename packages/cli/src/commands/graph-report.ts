/**
 * What a run's captured steps cost (graph backends such as onnx): how many graphs were built, how long
 * tracing + building took, and how long their runs took, per kind of step (the compiled function's name
 * without its shape: trainingStep, prefill, decode, ...). Printed after `r1ts run` / `r1ts demo`.
 */
import { type CompileStats, captureStats } from "@r1ts/core";

export interface GraphKind {
  kind: string;
  graphs: number;
  buildMs: number;
  runs: number;
  runMs: number;
}

/** Stats grouped by kind (the name up to its first "[" or "("), graph-mode entries only. */
export function graphKinds(stats: readonly CompileStats[] = captureStats({ released: true })): GraphKind[] {
  const kinds = new Map<string, GraphKind>();
  for (const s of stats) {
    const kind = s.name.split(/[[(]/)[0];
    for (const g of s.graphs) {
      if (g.mode !== "graph") continue;
      const k = kinds.get(kind) ?? { kind, graphs: 0, buildMs: 0, runs: 0, runMs: 0 };
      k.graphs++;
      k.buildMs += g.traceMs + g.buildMs;
      k.runs += g.runs;
      k.runMs += g.runMs;
      kinds.set(kind, k);
    }
  }
  return [...kinds.values()];
}

/** One line per kind and a total, or undefined when no graph was built. */
export function graphReport(seconds: number, kinds: readonly GraphKind[] = graphKinds()): string | undefined {
  if (kinds.length === 0) return undefined;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const total = kinds.reduce((a, k) => ({ graphs: a.graphs + k.graphs, buildMs: a.buildMs + k.buildMs, runMs: a.runMs + k.runMs }), { graphs: 0, buildMs: 0, runMs: 0 });
  const lines = kinds.map((k) => `  ${k.kind}: ${k.graphs} graph(s), built in ${s(k.buildMs)}, ${k.runs} runs in ${s(k.runMs)}`);
  const rest = Math.max(0, seconds * 1000 - total.buildMs - total.runMs);
  return [`captured graphs: ${total.graphs} built in ${s(total.buildMs)}, their runs ${s(total.runMs)}, everything else ${s(rest)}`, ...lines].join("\n");
}
