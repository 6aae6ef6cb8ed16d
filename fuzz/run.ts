/**
 * The full fuzz run (issue 16): 10,000 cases per parser by default, each in a child process under a per-case
 * time limit, and a table of cases, successes, typed errors, crashes and hangs. Exit code 1 if any
 * crash or hang. Replay one case with its full input: --target NAME --replay INDEX.
 *
 *   npx -y pnpm@12.4.2 exec tsx fuzz/run.ts [--runs 10000] [--seed 16] [--targets a,b] [--time-limit 5000] [--json]
 */
import { parseArgs } from "node:util";
import { runFuzz } from "./harness/run-fuzz.ts";
import type { FuzzReport } from "./harness/run-fuzz.ts";
import { fuzzTargets } from "./targets/index.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10000" },
    seed: { type: "string", default: "16" },
    targets: { type: "string" },
    target: { type: "string" },
    replay: { type: "string" },
    "time-limit": { type: "string", default: "5000" },
    json: { type: "boolean", default: false },
  },
});
const seed = Number(values.seed);
const timeLimitMs = Number(values["time-limit"]);

if (values.replay !== undefined) {
  const name = values.target ?? values.targets ?? "";
  const report = await runFuzz(name, { numRuns: Number(values.replay) + 1, seed, timeLimitMs, replay: Number(values.replay) });
  console.log(JSON.stringify({ target: name, seed, index: Number(values.replay), outcome: report.replayed?.outcome ?? report.failures[0], input: report.replayed?.input }, null, 2));
  process.exit(0);
}

const names = values.targets?.split(",") ?? Object.keys(fuzzTargets);
const reports: FuzzReport[] = [];
for (const name of names) {
  const report = await runFuzz(name, { numRuns: Number(values.runs), seed, timeLimitMs });
  reports.push(report);
  const c = report.counts;
  if (!values.json) {
    console.log(`${name.padEnd(16)} cases ${String(c.cases).padStart(6)}  success ${String(c.success).padStart(6)}  typed ${String(c.typed).padStart(6)}  crash ${String(c.crash).padStart(4)}  hang ${String(c.hang).padStart(4)}  ${report.seconds.toFixed(1)} s`);
    for (const f of report.failures.slice(0, 5)) console.log(`  ${f.kind} at case ${f.index}: ${f.error}\n    input: ${f.preview}\n    ${f.stack?.split("\n").slice(1, 4).join("\n    ") ?? ""}`);
  }
}
if (values.json) console.log(JSON.stringify(reports.map((r) => ({ target: r.target, seed: r.seed, ...r.counts, seconds: r.seconds, typedErrors: r.typedErrors, failures: r.failures.slice(0, 20) }))));
process.exit(reports.some((r) => r.counts.crash + r.counts.hang > 0) ? 1 : 0);
