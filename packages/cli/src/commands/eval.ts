/**
 * `r1ts eval`: held-out evaluation of a model bundle (the bundled base model, or any run's checkpoint)
 * on a task, scored by rewards: accuracy, format rate, mean length. The same numbers `r1ts demo`
 * reports before and after training.
 */
import { parseArgs } from "node:util";
import "@r1ts/backend-tfjs";
import "@r1ts/backend-onnx"; // registers "onnx" (picked by auto: captured steps on ONNX Runtime) and "onnx-cuda"
import { type RunConfig, evalRecord, evaluateProblems, lastBackendSelection, loadModelBundle, parseRunConfig, problemSource, setBackend } from "@r1ts/core";
import { UsageError } from "../command.ts";
import type { Command } from "../command.ts";
import { resolveBundle, rewardRunner } from "./run.ts";

const usage = `usage: r1ts eval [--model DIR|builtin:NAME] [--task arithmetic|countdown] [--held-out N]
                 [--rewards accuracy,format] [--temperature T] [--samples K] [--max-new-tokens N]
                 [--backend NAME] [--seed N] [--json]

Generates completions for the task's held-out problems and scores them. The task's options (digits,
split seed) come from the model's config.json when it names a task, so a model is evaluated on the
split it never trained on.

  --model          a model bundle directory or builtin:base-arithmetic (default)
  --task           default: the model's task
  --held-out N     problems (default 200)
  --rewards        comma-separated reward names (default accuracy,format; countdown for countdown)
  --temperature T  0 = greedy (default 0)
  --samples K      completions per problem (default 1)
  --json           print the result as one JSON line on stdout`;

export const evalCommand: Command = {
  name: "eval",
  summary: "held-out accuracy, format rate and length of a model on a task",
  usage,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          model: { type: "string", default: "builtin:base-arithmetic" }, task: { type: "string" }, "held-out": { type: "string", default: "200" },
          rewards: { type: "string" }, temperature: { type: "string", default: "0" }, samples: { type: "string", default: "1" },
          "max-new-tokens": { type: "string", default: "40" }, backend: { type: "string", default: "auto" }, seed: { type: "string", default: "0" },
          json: { type: "boolean", default: false },
        },
      }));
    } catch (error) {
      throw new UsageError(`${(error as Error).message}\n\n${usage}`);
    }
    const dir = resolveBundle(values.model!);
    await setBackend(values.backend!);
    const bundle = await loadModelBundle(dir);
    try {
      const modelTask = (bundle.config.task ?? {}) as { name?: string };
      const taskName = values.task ?? modelTask.name ?? "arithmetic";
      const task = taskName === modelTask.name ? modelTask : { name: taskName };
      const rewards = values.rewards?.split(",").filter(Boolean) ?? (taskName === "countdown" ? ["countdown", "format"] : ["accuracy", "format"]);
      const config: RunConfig = parseRunConfig({
        model: { bundle: dir }, task, trainer: "grpo", rewards, seed: Number(values.seed),
        grpo: { steps: 0, promptsPerStep: 1, groupSize: 1, maxNewTokens: Number(values["max-new-tokens"]), lr: 1 },
        eval: { problems: Number(values["held-out"]), temperature: Number(values.temperature), samplesPerProblem: Number(values.samples), maxNewTokens: Number(values["max-new-tokens"]) },
      }, "r1ts eval options");
      const runner = (await rewardRunner(config, process.cwd()))!;
      const source = await problemSource(config);
      const started = performance.now();
      const result = await evaluateProblems(bundle.model, bundle.tokenizer, bundle.eosTokenId, source.heldOut, runner, {
        maxNewTokens: config.eval.maxNewTokens!, temperature: config.eval.temperature, samplesPerProblem: config.eval.samplesPerProblem, seed: config.seed + 17,
      });
      const record = evalRecord(0, "after", result, source.name);
      const out = { model: dir, task: source.name, backend: lastBackendSelection()?.chosen, problems: source.heldOut.length, accuracy: record.accuracy, format: record.format, meanLength: record.meanLength, truncatedRate: record.truncatedRate, rewards: record.rewards, seconds: (performance.now() - started) / 1000 };
      const pct = (v: number | null) => (v === null ? "n/a" : `${(v * 100).toFixed(1)}%`);
      console.error(`${out.problems} held-out ${out.task} problems on ${out.backend}: accuracy ${pct(out.accuracy)}, format ${pct(out.format)}, mean length ${out.meanLength.toFixed(1)} tokens (${out.seconds.toFixed(1)} s)`);
      for (const row of result.rows.slice(0, 3)) console.error(`  ${row.question} -> ${JSON.stringify(row.completion)}`);
      if (values.json) console.log(JSON.stringify(out));
      return 0;
    } finally {
      bundle.model.dispose();
    }
  },
};
