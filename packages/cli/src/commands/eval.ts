/**
 * `r1ts eval`: held-out evaluation of a model bundle (the bundled base model, any run's checkpoint) or HF folder
 * on a task, scored by rewards: accuracy (by the correctness reward), format rate, mean length, pass@k.
 * The same record `r1ts run` writes to evals.jsonl before and after training. What is evaluated and how
 * comes from flags, else from a run config (`--config`), else from the model's own config.json (its
 * task and its `evaluation` section).
 */
import * as core from "@r1ts/core";
import type { EvalSettingsInput, RunConfig } from "@r1ts/core";
import { r1Rewards } from "@r1ts/rewards";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { resolveBundle } from "./bundles.ts";
import { integerFlag, numberFlag, parseFlags } from "./flags.ts";

const usage = `usage: r1ts eval [--model DIR|builtin:NAME] [--config FILE] [--task arithmetic|countdown] [--held-out N]
                 [--rewards a,b] [--correctness NAME] [--format NAME] [--temperature T] [--samples K]
                 [--max-new-tokens N] [--backend NAME] [--seed N] [--json]

Generates completions for the task's held-out problems and scores them. The task's options (digits,
split seed) come from the model's config.json when it names a task, so a model is evaluated on the
split it never trained on; so do its rewards (its "evaluation" section) unless --config or --rewards
say otherwise.

  --model          a model bundle directory, a Hugging Face model folder, or builtin:base-arithmetic (default)
  --config FILE    a run config: its task or data, rewards, plugins and eval settings
  --task           default: the model's task (or the config's)
  --held-out N     problems (default 200)
  --rewards        comma-separated reward names
  --correctness    the reward whose score >= 1 means correct (accuracy counts it)
  --format         the reward whose mean is the format rate
  --temperature T  0 = greedy (default 0)
  --samples K      completions per problem (default 1)
  --json           print the result as one JSON line on stdout`;

export const evalCommand: Command = {
  name: "eval",
  summary: "held-out accuracy, format rate and length of a model on a task",
  usage,
  async run(args) {
    const { values } = parseFlags(args, usage, {
      model: { type: "string", default: "builtin:base-arithmetic" }, config: { type: "string" }, task: { type: "string" }, "held-out": { type: "string" },
      rewards: { type: "string" }, correctness: { type: "string" }, format: { type: "string" }, temperature: { type: "string" }, samples: { type: "string" },
      "max-new-tokens": { type: "string" }, backend: { type: "string" }, seed: { type: "string" }, json: { type: "boolean", default: false },
    });
    const dir = resolveBundle(values.model as string);
    // A missing or broken model fails here, before any backend starts.
    const bundleConfig = await core.readBundleConfig(dir);
    const config: RunConfig | undefined = values.config ? await core.loadRunConfig(values.config as string) : undefined;
    const baseDir = config ? core.configBaseDir(values.config as string) : process.cwd();
    const modelTask = bundleConfig.task as { name?: string } | undefined;
    const taskName = (values.task as string | undefined) ?? config?.task?.name ?? modelTask?.name;
    const taskSource = config?.data && values.task === undefined
      ? { data: config.data }
      : { task: core.taskSchema.parse(taskName === modelTask?.name ? modelTask : taskName === config?.task?.name ? config?.task : { name: taskName }) };
    if (taskName === undefined && !config?.data) throw new UsageError(`no task to evaluate on: the model's config.json names none; give --task or --config`);
    const rewards = (values.rewards as string | undefined)?.split(",").filter(Boolean) ?? config?.rewards.map((r) => r.name) ?? bundleConfig.evaluation?.rewards;
    if (!rewards || rewards.length === 0) throw new UsageError(`no rewards to score with: give --rewards (e.g. --rewards accuracy,format --correctness accuracy), or --config, or an "evaluation" section in ${dir}/config.json`);
    const settings = core.evalSettingsSchema.parse({
      ...(config?.eval ?? {}),
      correctness: (values.correctness as string | undefined) ?? config?.eval.correctness ?? bundleConfig.evaluation?.correctness,
      format: (values.format as string | undefined) ?? config?.eval.format ?? bundleConfig.evaluation?.format,
      problems: integerFlag("held-out", values["held-out"], 0) ?? config?.eval.problems ?? 200,
      temperature: numberFlag("temperature", values.temperature, config?.eval.temperature ?? 0, { min: 0 }),
      samplesPerProblem: integerFlag("samples", values.samples, 1) ?? config?.eval.samplesPerProblem ?? 1,
      maxNewTokens: integerFlag("max-new-tokens", values["max-new-tokens"], 1) ?? config?.eval.maxNewTokens ?? 40,
    } satisfies EvalSettingsInput);
    const seed = integerFlag("seed", values.seed, 0) ?? config?.seed ?? 0;
    const ctx = await core.createRunContext({ plugins: config?.plugins ?? [], builtins: [r1Rewards], baseDir, warn: (m) => console.error(`warning: ${m}`) });
    const runner = ctx.createRewardRunner(config?.rewards ?? rewards);
    // Chat prompts (HF models, conversational datasets) use the evaluated model's chat template.
    const task = (await core.loadTask(taskSource, baseDir, { formatter: () => core.chatTokenizerOf(dir) }))!;
    await core.setBackend((values.backend as string | undefined) ?? config?.backend ?? "auto");
    const bundle = await core.loadModelBundle(dir, ctx.tokenizers);
    try {
      const report = await core.evaluateBundle(bundle, task.heldOut(settings.problems), runner, { ...settings, seed: core.evalSeed(settings, seed) });
      const out = { model: dir, task: task.name, backend: core.lastBackendSelection()?.chosen, ...report };
      console.error(`${report.problems} held-out ${task.name} problems on ${out.backend}: ${core.describeEval(report)} (${report.seconds.toFixed(1)} s)`);
      for (const row of report.samples.slice(0, 3)) console.error(`  ${row.question} -> ${JSON.stringify(row.completion)}`);
      if (values.json) console.log(JSON.stringify(out));
      return 0;
    } finally {
      bundle.model.dispose();
    }
  },
};
