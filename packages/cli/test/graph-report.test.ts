/** The captured-graph summary printed after a run: grouped by kind of step, totals, time outside graphs. */
import { describe, expect, it } from "vitest";
import type { CompileStats, GraphStats } from "@r1ts/core";
import { graphKinds, graphReport } from "../src/commands/graph-report.ts";

const graph = (over: Partial<GraphStats>): GraphStats => ({
  signature: "s", traceMs: 10, buildMs: 90, nodes: 5, inputs: 1, outputs: 1, assignments: 0, runs: 4, runMs: 200, mode: "graph", backend: {}, ...over,
});

const STATS: CompileStats[] = [
  { name: "decode[64x56]", calls: 4, graphs: [graph({})] },
  { name: "decode[64x64]", calls: 6, graphs: [graph({ runs: 6, runMs: 300 })] },
  { name: "update(grpo)", calls: 2, graphs: [graph({ runs: 2, traceMs: 100, buildMs: 400, runMs: 1000 }), graph({ mode: "interpreted", runs: 9, runMs: 5000 })] },
];

describe("graph report", () => {
  it("groups graphs by kind, leaving out interpreted replays", () => {
    expect(graphKinds(STATS)).toEqual([
      { kind: "decode", graphs: 2, buildMs: 200, runs: 10, runMs: 500 },
      { kind: "update", graphs: 1, buildMs: 500, runs: 2, runMs: 1000 },
    ]);
  });

  it("prints totals and the time outside graphs", () => {
    expect(graphReport(3, graphKinds(STATS))!.split("\n")).toEqual([
      "captured graphs: 3 built in 0.7 s, their runs 1.5 s, everything else 0.8 s",
      "  decode: 2 graph(s), built in 0.2 s, 10 runs in 0.5 s",
      "  update: 1 graph(s), built in 0.5 s, 2 runs in 1.0 s",
    ]);
    expect(graphReport(3, [])).toBeUndefined();
  });
});
