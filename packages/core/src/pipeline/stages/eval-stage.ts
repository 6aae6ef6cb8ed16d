/**
 * The `eval` stage: held-out accuracy (pass@1 over samplesPerProblem samples), pass@k, format rate and
 * mean length of a model, written as a JSON report. Settings left out take the pipeline's `eval:` values.
 */
import { writeFileAtomic } from "../../io/atomic-write.ts";
import { evaluateBundle } from "../../eval/eval-report.ts";
import { evalOverridesSchema, evalSeed } from "../../eval/eval-settings.ts";
import { defineStage } from "../stage.ts";

export const evalStage = defineStage({
  name: "eval",
  description: "held-out accuracy, pass@k, format rate and length of a model, as a JSON report",
  options: evalOverridesSchema,
  inputs: { model: { kind: "model", description: "the model to evaluate" } },
  outputs: { report: { kind: "report", description: "the evaluation (EvalReport JSON)" } },
  needs: { task: true, rewards: true },
  async run(ctx, o) {
    const settings = { ...ctx.evalSettings, ...o };
    const seed = evalSeed(settings, ctx.seed);
    const bundle = await ctx.loadModel("model");
    try {
      const report = await evaluateBundle(bundle, ctx.task().heldOut(settings.problems), ctx.rewards(), { ...settings, seed });
      await writeFileAtomic(ctx.outputPath("report"), JSON.stringify(report, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
      const passAt = Object.fromEntries(Object.entries(report.passAtK).map(([k, v]) => [`pass@${k}`, v]));
      return {
        metrics: { accuracy: report.accuracy, [`mean@${report.samplesPerProblem}`]: report.meanAtN, [`maj@${report.samplesPerProblem}`]: report.majAtN, format: report.format, meanLength: report.meanLength, ...passAt },
        tokens: { generated: report.generatedTokens },
        eval: report,
        note: `${report.problems} problems x ${report.samplesPerProblem} samples at temperature ${report.temperature}`,
      };
    } finally {
      bundle.model.dispose();
    }
  },
});
