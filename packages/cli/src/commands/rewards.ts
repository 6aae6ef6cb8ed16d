/**
 * `r1ts rewards score`: scores JSONL rows with the rewards a config lists, for debugging rewards before
 * training. `r1ts rewards list`: the rewards available (built-in and from the config's plugins).
 */
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { batchFromRows, createRunContext, previewValue, scoreStats } from "@r1ts/core";
import type { RewardValue, RunContext } from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { readRewardsConfig } from "./rewards-config.ts";

const usage = `usage: r1ts rewards score --config <file> --input <in.jsonl> [--output <out.jsonl>] [--batch-size N]
       r1ts rewards list [--config <file>]

score   Scores each input row ({ "prompt", "completion", ...dataset columns such as "answer",
        optional "completionIds" }) with the rewards the config lists, and writes the row back with
        "rewards": { <name>: number | null } and "total" (null where no reward applies).
        Rows are scored in batches of --batch-size (default 64), which matters for batch-relative
        rewards such as length. Malformed lines are reported with their line number and skipped;
        the exit code is then 1. Output goes to stdout unless --output is given.
list    Lists the registered rewards with their descriptions.

The config (YAML or JSON) needs "rewards" and may list "plugins"; other keys are ignored:
  plugins: [my-reward, ["./local-plugin.js", { option: 1 }]]   # @r1ts/rewards is always loaded
  rewards: [accuracy, { name: format, weight: 0.5 }, { name: cosine, options: { maxLength: 500 } }]`;

function flags(args: string[], allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const name = args[i];
    if (!name.startsWith("--")) throw new UsageError(`unexpected argument "${name}"\n\n${usage}`);
    const key = name.slice(2);
    if (!allowed.includes(key)) throw new UsageError(`unknown option ${name}\n\n${usage}`);
    const value = args[++i];
    if (value === undefined || value.startsWith("--")) throw new UsageError(`${name} needs a value`);
    out[key] = value;
  }
  return out;
}

async function context(configFile: string | undefined): Promise<{ ctx: RunContext; rewards?: Awaited<ReturnType<typeof readRewardsConfig>>["rewards"] }> {
  const warn = (m: string) => console.error(`warning: ${m}`);
  if (configFile === undefined) return { ctx: await createRunContext({ builtins: [r1Rewards], warn }) };
  const config = await readRewardsConfig(configFile);
  const ctx = await createRunContext({ plugins: config.plugins, builtins: [r1Rewards], baseDir: path.dirname(path.resolve(configFile)), config, warn });
  return { ctx, rewards: config.rewards };
}

interface Row {
  line: number;
  value: Record<string, unknown>;
}

/** Parses JSONL; bad lines are reported (with their number) and left out. */
function parseRows(text: string, file: string): { rows: Row[]; bad: string[] } {
  const rows: Row[] = [];
  const bad: string[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      bad.push(`${file}:${line}: not valid JSON (${(error as Error).message})`);
      return;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      bad.push(`${file}:${line}: expected a JSON object with "prompt" and "completion"`);
      return;
    }
    const row = value as Record<string, unknown>;
    for (const key of ["prompt", "completion"]) {
      if (typeof row[key] !== "string") {
        bad.push(`${file}:${line}: "${key}" must be a string (got ${row[key] === undefined ? "nothing" : previewValue(row[key])})`);
        return;
      }
    }
    // Each scored row is written back as JSON: a value nested deeper than JSON.stringify can go fails here, not mid-output.
    try {
      JSON.stringify(row);
    } catch (error) {
      bad.push(`${file}:${line}: cannot be written back as JSON (${(error as Error).message}); is a value nested too deeply?`);
      return;
    }
    if (row.completionIds !== undefined && !(Array.isArray(row.completionIds) && row.completionIds.every(Number.isInteger))) {
      bad.push(`${file}:${line}: "completionIds" must be an array of integers`);
      return;
    }
    rows.push({ line, value: row });
  });
  return { rows, bad };
}

async function score(args: string[]): Promise<number> {
  const f = flags(args, ["config", "input", "output", "batch-size"]);
  if (f.config === undefined) throw new UsageError(`--config is required\n\n${usage}`);
  if (f.input === undefined) throw new UsageError(`--input is required\n\n${usage}`);
  const batchSize = f["batch-size"] === undefined ? 64 : Number(f["batch-size"]);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer, got ${f["batch-size"]}`);
  const { ctx, rewards } = await context(f.config);
  const runner = ctx.createRewardRunner(rewards!, { warn: (m) => console.error(`warning: ${m}`) });
  let text: string;
  try {
    text = await readFile(f.input, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read input ${f.input}: ${(error as Error).message}`);
  }
  const { rows, bad } = parseRows(text, f.input);
  for (const message of bad) console.error(message);

  const out = f.output === undefined ? process.stdout : createWriteStream(f.output);
  const totals: RewardValue[] = [];
  const perReward = new Map<string, RewardValue[]>(runner.uses.map((u) => [u.name, []]));
  for (let start = 0; start < rows.length; start += batchSize) {
    const chunk = rows.slice(start, start + batchSize);
    const scores = await runner.score(batchFromRows(chunk.map((r) => r.value)));
    chunk.forEach((row, i) => {
      const rewardsOfRow = Object.fromEntries(scores.names.map((name) => [name, scores.perReward[name][i]]));
      out.write(`${JSON.stringify({ ...row.value, rewards: rewardsOfRow, total: scores.total[i] })}\n`);
      totals.push(scores.total[i]);
      for (const name of scores.names) perReward.get(name)!.push(scores.perReward[name][i]);
    });
  }
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((error?: Error | null) => (error ? reject(error) : resolve())));

  console.error(`scored ${rows.length} rows${bad.length > 0 ? `; skipped ${bad.length} malformed line${bad.length === 1 ? "" : "s"}` : ""}`);
  for (const [name, values] of [...perReward, ["total", totals] as const]) {
    const s = scoreStats(values);
    console.error(`  ${name.padEnd(22)} mean ${Number.isNaN(s.mean) ? "-" : s.mean.toFixed(4)}  (${s.count} scored, ${s.nulls} not applicable)`);
  }
  return bad.length > 0 ? 1 : 0;
}

async function list(args: string[]): Promise<number> {
  const f = flags(args, ["config"]);
  const { ctx } = await context(f.config);
  const width = Math.max(0, ...[...ctx.rewards.keys()].map((n) => n.length));
  for (const reward of ctx.rewards.values()) console.log(`${reward.name.padEnd(width)}  ${reward.description}`);
  return 0;
}

export const rewardsCommand: Command = {
  name: "rewards",
  summary: "score JSONL completions with a config's rewards; list available rewards",
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "score") return score(rest);
    if (sub === "list") return list(rest);
    throw new UsageError(`${sub === undefined ? "a subcommand is required" : `unknown subcommand "${sub}"`}\n\n${usage}`);
  },
};
