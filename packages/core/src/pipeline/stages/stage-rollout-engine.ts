/**
 * The rollout engine of a GRPO stage, from its `rollout` options: the one place engines are made.
 * `rollout.engine` names the kind: `local` is the run container's rollout-engine part (generation on the
 * training model, or what a plugin's `registerRolloutEngine` put in its place), any other name an engine
 * kind a plugin registered (`registerRolloutEngineKind`: the queue engine of @r1ts/queue), made with the
 * stage's policy and validated against the engine's own options schema.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { R1tsError } from "../../errors.ts";
import type { ModelBundle } from "../../run/model-bundle.ts";
import { describeIssues } from "../../reward/describe-issues.ts";
import type { RewardRunner } from "../../reward/runner.ts";
import type { MadeRolloutEngine, RolloutConfig } from "../../sampling/rollout-engine-kind.ts";
import type { StageContext } from "../stage.ts";

/** A `rollout` section that names no registered engine, or whose options the engine refuses. */
export class RolloutConfigError extends R1tsError {}

/** The made engine (and, for engines with workers, a remote reward runner). */
export async function stageRolloutEngine(ctx: StageContext, bundle: ModelBundle, rollout: RolloutConfig, rewards: RewardRunner): Promise<MadeRolloutEngine> {
  const { engine, maxStaleness, importanceCap: _cap, rewardsOn, ...own } = rollout;
  if (engine === "local") {
    if (rewardsOn === "workers") throw new RolloutConfigError(`rollout.rewardsOn: "workers" needs an engine with workers (rollout.engine: queue), but rollout.engine is "local"`);
    const extra = Object.keys(own);
    if (extra.length > 0) throw new RolloutConfigError(`rollout: the local engine takes no options, got ${extra.map((k) => JSON.stringify(k)).join(", ")} (set rollout.engine to the engine they belong to, e.g. queue)`);
    // The trainer disposes its engine; nothing else to close.
    return { engine: await ctx.rolloutEngine(bundle), close: async () => {} };
  }
  const factory = ctx.runContext.rolloutEngineKinds.get(engine);
  if (!factory) {
    const known = ["local", ...ctx.runContext.rolloutEngineKinds.keys()].join(", ");
    throw new RolloutConfigError(`rollout.engine: unknown engine "${engine}" (registered: ${known}). The queue engine comes with @r1ts/queue: \`r1ts run\` loads it for engine: queue; in code, list its plugin (queueRolloutPlugin).`);
  }
  const parsed = factory.options.safeParse(own);
  if (!parsed.success) throw new RolloutConfigError(`rollout (engine ${engine}) is invalid:\n${describeIssues(parsed.error, "rollout")}`);
  return factory.create({
    runId: `${basename(ctx.dir)}-${createHash("sha256").update(ctx.dir).digest("hex").slice(0, 8)}`,
    dir: ctx.dir,
    model: bundle.model,
    tokenizer: bundle.tokenizer,
    eosTokenId: bundle.eosTokenId,
    maxStaleness,
    rewards: { plugins: ctx.pluginSpecs, uses: ctx.rewardUses, local: rewards },
    log: (m) => ctx.log(m),
  }, parsed.data, rewardsOn);
}
