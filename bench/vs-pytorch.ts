/**
 * r1ts (ONNX backend, captured steps) against PyTorch on the CPU, in one run: for each bench model
 * (bench/train-models.ts) and each mode (train: one AdamW step on the model's batch; generate: 128
 * rows x 32 new tokens), PyTorch (bench/torch/llama.py, Debian's python3-torch) and r1ts
 * (bench/r1ts-run.ts) run alternately in separate processes, `--rounds` times; each runs at 1 thread and
 * at its default (PyTorch: the cores; r1ts: per graph) and its faster result counts. Prints one JSON line per run and a
 * table of best-of-rounds tokens/s, ratios, peak RSS, and r1ts's graph counts and build times.
 *
 *   flock /tmp/r1ts-cpu.lock npx -y pnpm@12.4.2 exec tsx bench/vs-pytorch.ts [--rounds 2] [--models small,medium] [--modes train,generate]
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { listFlag } from "./train-models.ts";

const args = process.argv.slice(2);
const rounds = Number(listFlag(args, "rounds")?.[0] ?? 2);
const models = listFlag(args, "models") ?? ["small", "medium"];
const modes = listFlag(args, "modes") ?? ["train", "generate"];
const python = listFlag(args, "python")?.[0] ?? "/usr/bin/python3";
const cores = availableParallelism();

type Row = Record<string, unknown> & { tokensPerSecond: number; peakRssMiB: number };

function run(cmd: string, cmdArgs: string[], env: NodeJS.ProcessEnv = process.env): Row {
  const out = spawnSync(cmd, cmdArgs, { encoding: "utf8", env, maxBuffer: 1 << 26 });
  const line = out.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (out.status !== 0 || !line) throw new Error(`${cmd} ${cmdArgs.join(" ")} failed (${out.status}):\n${out.stderr.slice(-2000)}`);
  console.log(line);
  return JSON.parse(line) as Row;
}

// PyTorch reads OpenBLAS's tuning from these; the machine's defaults are for other programs.
const torchEnv = { ...process.env };
delete torchEnv.OPENBLAS_CORETYPE;
delete torchEnv.OPENBLAS_L2_SIZE;

const best = new Map<string, { torch?: Row; r1ts?: Row }>();
const keep = (key: string, side: "torch" | "r1ts", row: Row): void => {
  const entry = best.get(key) ?? {};
  if (!entry[side] || row.tokensPerSecond > entry[side]!.tokensPerSecond) entry[side] = row;
  best.set(key, entry);
};

for (let round = 0; round < rounds; round++) {
  for (const model of models) {
    for (const mode of modes) {
      const key = `${mode} ${model}`;
      for (const threads of [...new Set([1, cores])]) {
        keep(key, "torch", run(python, ["bench/torch/llama.py", "--mode", mode, "--model", model, "--threads", String(threads)], torchEnv));
      }
      // r1ts at its default (1 thread for small graphs, every core for large ones) and at 1 thread.
      for (const threads of [undefined, "1"]) {
        keep(key, "r1ts", run(process.execPath, ["--import", "tsx", "bench/r1ts-run.ts", "--mode", mode, "--model", model, ...(threads ? ["--threads", threads] : [])]));
      }
    }
  }
}

console.log(`\nbest of ${rounds} round(s), ${cores} cores; ratio = r1ts / PyTorch tokens/s`);
console.log("| run | PyTorch tok/s (threads) | r1ts onnx tok/s (threads) | ratio | peak RSS MiB PyTorch / r1ts | r1ts graphs (build ms) |");
console.log("|---|---|---|---|---|---|");
for (const [key, { torch, r1ts }] of best) {
  if (!torch || !r1ts) continue;
  const graphs = (r1ts.graphs as { fn: string; buildMs: number }[]).map((g) => `${g.fn} ${g.buildMs}`).join(", ");
  console.log(`| ${key} | ${torch.tokensPerSecond} (${torch.threads}) | ${r1ts.tokensPerSecond} (${r1ts.threads}) | ${(r1ts.tokensPerSecond / torch.tokensPerSecond).toFixed(2)}x | ${torch.peakRssMiB} / ${r1ts.peakRssMiB} | ${graphs} |`);
}
