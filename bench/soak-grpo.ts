/**
 * Soak (issue 16): 1000 GRPO steps of the demo (r1ts demo's config: the bundled base model, accuracy +
 * format rewards in worker threads, 8 prompts x 8 completions), recording every 50 steps the engine's
 * live tensors and backend buffers, and the process's RSS, heap and external memory (after a full GC
 * when run with --expose-gc). A leak shows as tensors or buffers that climb, or RSS that keeps growing
 * after warm-up; the bar is RSS never more than 5% above its value at the end of warm-up. A script, not
 * a test: it runs for 10-60 minutes. It measures memory, not speed, so run it at low priority:
 *
 *   nice -n 19 node --expose-gc --import tsx bench/soak-grpo.ts [--steps 1000] [--every 50] [--warmup 100] [--backend auto] [--out DIR]
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { memory, parseRunConfig, runJob } from "@r1ts/core";
import { demoConfig } from "../packages/cli/src/commands/demo.ts";
import { resolveBundle } from "../packages/cli/src/commands/bundles.ts";
import { r1Rewards } from "@r1ts/rewards";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "1000" },
    every: { type: "string", default: "50" },
    warmup: { type: "string", default: "100" },
    backend: { type: "string", default: "auto" },
    out: { type: "string" },
  },
});
const steps = Number(values.steps);
const every = Number(values.every);
const warmup = Number(values.warmup);
const out = values.out ?? (await mkdtemp(path.join(tmpdir(), "r1ts-soak-")));

interface Sample {
  step: number;
  seconds: number;
  tensors: number;
  buffers: number;
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const started = performance.now();
const samples: Sample[] = [];
function sample(step: number): void {
  gc?.();
  const m = process.memoryUsage();
  const e = memory();
  const s: Sample = { step, seconds: Math.round((performance.now() - started) / 1000), tensors: e.numTensors, buffers: e.numBuffers, rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), externalMiB: mib(m.external), arrayBuffersMiB: mib(m.arrayBuffers) };
  samples.push(s);
  console.log(JSON.stringify({ soak: "grpo", ...s }));
}

const demo = await demoConfig({ steps, backend: values.backend, out });
const config = parseRunConfig({ ...demo, eval: { ...demo.eval, problems: 0 } }, "soak");
console.error(`soak: ${steps} GRPO steps of the demo into ${out}; gc ${gc ? "forced before each sample" : "not exposed (run with --expose-gc)"}`);
sample(0);
await runJob(config, {
  builtins: [r1Rewards],
  resolveBundle: (spec) => resolveBundle(spec),
  onContext: (context) => {
    context.hooks.afterStep.tap("soak", ({ step }) => {
      if ((step + 1) % every === 0) sample(step + 1);
    });
  },
});

const after = samples.filter((s) => s.step >= warmup);
const base = after[0];
// A leak grows: the bar is growth over the value at the end of warm-up (a drop, the allocator giving
// memory back, is reported too but is no leak).
const maxDev = Math.max(...after.map((s) => (s.rssMiB - base.rssMiB) / base.rssMiB));
const maxDrop = Math.max(...after.map((s) => (base.rssMiB - s.rssMiB) / base.rssMiB));
const tensorsFlat = after.every((s) => s.tensors === base.tensors);
const buffersFlat = after.every((s) => s.buffers === base.buffers);
const verdict = {
  soak: "grpo-verdict",
  steps,
  warmupSteps: warmup,
  rssAtWarmupMiB: base.rssMiB,
  rssLastMiB: after.at(-1)!.rssMiB,
  rssMinMiB: Math.min(...after.map((s) => s.rssMiB)),
  rssMaxMiB: Math.max(...after.map((s) => s.rssMiB)),
  rssMaxGrowth: Math.round(maxDev * 10000) / 10000,
  rssMaxDrop: Math.round(maxDrop * 10000) / 10000,
  tensors: [...new Set(after.map((s) => s.tensors))],
  buffers: [...new Set(after.map((s) => s.buffers))],
  flat: maxDev <= 0.05 && tensorsFlat && buffersFlat,
  seconds: Math.round((performance.now() - started) / 1000),
};
console.log(JSON.stringify(verdict));
process.exit(verdict.flat ? 0 : 1);
