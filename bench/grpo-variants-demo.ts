/**
 * GRPO variants on the demo task (r1ts demo's config: the bundled base model, accuracy + format
 * rewards, 8 prompts x 8 completions, lr 1e-3), each run with held-out accuracy (200 problems, greedy)
 * evaluated every `--eval-every` steps. Per setting: the accuracy curve, the first step at which it
 * reaches the baseline's final accuracy, the final accuracy, the groups dynamic sampling generated and
 * dropped, and the wall time. A script, not a test (minutes per setting):
 *
 *   pnpm exec tsx bench/grpo-variants-demo.ts [--settings baseline,dynamic,lora] [--steps 60] [--eval-every 5] [--seed 0] [--lr X] [--backend auto] [--out DIR]
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type GrpoConfig, parseRunConfig, runJob } from "@r1ts/core";
import "@r1ts/backend-tfjs";
import { r1Rewards } from "@r1ts/rewards";
import { resolveBundle } from "../packages/cli/src/commands/bundles.ts";
import { demoConfig } from "../packages/cli/src/commands/demo.ts";

const SETTINGS: Record<string, Partial<GrpoConfig>> = {
  baseline: {},
  dynamic: { dynamicSampling: true, maxSamplingRounds: 4, samplingOversample: 1.5 },
  // LoRA's update of W is s (dB A + B dA): at lr 5e-3 the demo collapsed; 1e-3 and 2e-3 both learn.
  lora: { lora: { r: 16, alpha: 32, targetModules: "all-linear" }, lr: 2e-3 },
  "two-iterations": { numIterations: 2 },
  gspo: { importanceSampling: "sequence", numIterations: 2 },
  // GSPO's own clip range (paper v2, §5.1): sequence ratios stay near 1.
  "gspo-paper-clip": { importanceSampling: "sequence", numIterations: 2, epsilonLow: 3e-4, epsilonHigh: 4e-4 },
  cispo: { policyLoss: "cispo", epsilonHigh: 4, numIterations: 2 },
  rloo: { advantageEstimator: "rloo" },
  "reinforce++": { advantageEstimator: "reinforce++_baseline" },
  "entropy-80-20": { topEntropyQuantile: 0.2 },
};

const { values } = parseArgs({
  options: {
    settings: { type: "string", default: "baseline,dynamic,lora" },
    steps: { type: "string", default: "60" },
    "eval-every": { type: "string", default: "5" },
    backend: { type: "string", default: "auto" },
    "held-out": { type: "string", default: "200" },
    out: { type: "string" },
    /** Overrides the learning rate of every setting run. */
    lr: { type: "string" },
    seed: { type: "string", default: "0" },
  },
});
const names = values.settings!.split(",");
for (const n of names) if (!SETTINGS[n]) throw new Error(`unknown setting ${n}; known: ${Object.keys(SETTINGS).join(", ")}`);
const steps = Number(values.steps);
const every = Number(values["eval-every"]);
const out = values.out ?? (await mkdtemp(path.join(tmpdir(), "r1ts-grpo-variants-")));

interface Result {
  setting: string;
  curve: [number, number][];
  final: number;
  seconds: number;
  generated: number;
  dropped: number;
  runDir: string;
}
const results: Result[] = [];
for (const name of names) {
  const demo = await demoConfig({ steps, backend: values.backend, seed: Number(values.seed), heldOut: Number(values["held-out"]), out: path.join(out, name) });
  const grpo = { ...demo.grpo, ...SETTINGS[name], ...(values.lr ? { lr: Number(values.lr) } : {}) };
  const config = parseRunConfig({ ...demo, grpo: grpo as typeof demo.grpo, eval: { ...demo.eval, every } }, name);
  const summary = await runJob(config, { builtins: [r1Rewards], resolveBundle: (spec) => resolveBundle(spec), log: (line) => console.error(`[${name}] ${line}`) });
  const lines = (await readFile(path.join(summary.runDir, "evals.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { step: number; accuracy: number | null });
  const metrics = (await readFile(path.join(summary.runDir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
  const sum = (k: string) => metrics.reduce((a, m) => a + (m[k] ?? 0), 0);
  const curve = lines.filter((l) => l.accuracy !== null).map((l) => [l.step, l.accuracy!] as [number, number]);
  const r: Result = { setting: name, curve, final: summary.heldOutAccuracyAfter ?? Number.NaN, seconds: Math.round(summary.seconds), generated: sum("dynamic_sampling/generated_groups"), dropped: sum("dynamic_sampling/dropped_groups"), runDir: summary.runDir };
  results.push(r);
  console.log(JSON.stringify({ bench: "grpo-variants-demo", ...r, lr: grpo.lr, before: summary.heldOutAccuracyBefore, backend: summary.backend }));
}
const baseline = results.find((r) => r.setting === "baseline");
if (baseline) {
  for (const r of results) {
    const reached = r.curve.find(([, acc]) => acc >= baseline.final);
    console.log(JSON.stringify({ bench: "grpo-variants-demo", setting: r.setting, target: baseline.final, firstStepAtTarget: reached ? reached[0] : null, final: r.final }));
  }
}
process.exit(0);
