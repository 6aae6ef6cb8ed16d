/**
 * Checks a pipeline config against the registered stages and turns it into a plan, before any stage runs:
 * every stage exists, its options pass its schema, every input it needs is given, refers to an artifact
 * of the right kind that exists (an `artifacts:` entry) or that an earlier stage makes, and its rewards
 * are registered. All problems are reported at once, each naming the stage, the input and what produced
 * (or should produce) it.
 */
import type { RewardUseConfig } from "../plugin/config-schema.ts";
import type { RunContext } from "../plugin/run-context.ts";
import { describeConfigIssues } from "../config/load-config.ts";
import { type ArtifactKind, artifactProblem, kindPhrase } from "./artifact.ts";
import { modelSourceFormat, modelSourcePath } from "../config/model-source.ts";
import { PipelineConfigError } from "./errors.ts";
import type { EvalSettings } from "../eval/eval-settings.ts";
import type { PipelineConfig, StageEntry } from "./pipeline-config-schema.ts";
import { type PipelineStage, asPipelineStage } from "./stage.ts";

/** Where a stage's input comes from. */
export type InputSource =
  | { readonly type: "artifact"; readonly name: string }
  | { readonly type: "stage"; readonly stageId: string; readonly output: string };

export interface PlannedInput {
  /** As written in the config. */
  readonly ref: string;
  readonly kind: ArtifactKind;
  readonly source: InputSource;
}

export interface PlannedStage {
  readonly index: number;
  readonly id: string;
  readonly stage: PipelineStage;
  readonly entry: StageEntry;
  /** Options after the stage's schema (defaults filled in). */
  readonly options: unknown;
  readonly inputs: Readonly<Record<string, PlannedInput>>;
  /** The stage's rewards, or the pipeline's (undefined when neither has any). */
  readonly rewards: readonly RewardUseConfig[] | undefined;
  /** Held-out evaluation of its model output (false: none). */
  readonly eval: EvalSettings | false;
}

export interface PlannedArtifact {
  readonly name: string;
  readonly kind: ArtifactKind;
  readonly path: string;
}

export interface PipelinePlan {
  readonly artifacts: Readonly<Record<string, PlannedArtifact>>;
  readonly stages: readonly PlannedStage[];
}

export interface PlanOptions {
  /** Turns an artifact path of the config into an absolute path (relative paths, `builtin:` names). */
  resolvePath: (path: string, kind: ArtifactKind) => string;
  /** Names the config in errors. */
  source?: string;
}

export function planPipeline(config: PipelineConfig, context: RunContext, options: PlanOptions): PipelinePlan {
  const problems: string[] = [];
  const artifacts: Record<string, PlannedArtifact> = {};
  const declared = { ...config.artifacts };
  if (config.model) {
    if (declared.base) problems.push(`model: the shorthand defines artifact "base", but artifacts.base is given too; keep one`);
    else declared.base = { kind: "model", path: modelSourcePath(config.model), format: modelSourceFormat(config.model) };
  }
  for (const [name, a] of Object.entries(declared)) {
    let path: string;
    try {
      path = options.resolvePath(a.path, a.kind);
    } catch (error) {
      problems.push(`artifacts.${name}: ${(error as Error).message}`);
      continue;
    }
    const problem = artifactProblem(path, a.kind, a.format);
    if (problem) problems.push(`artifacts.${name} (${kindPhrase(a.kind)}): ${problem}`);
    artifacts[name] = { name, kind: a.kind, path };
  }

  const registered = [...context.stages.keys()].sort();
  const ids = new Map<string, number>();
  const stages: PlannedStage[] = [];
  // Outputs of the stages planned so far: id -> stage.
  const earlier = new Map<string, PipelineStage>();
  const later = new Map<string, { index: number; stage: string }>();
  config.stages.forEach((e, index) => {
    if (!later.has(e.id ?? e.stage)) later.set(e.id ?? e.stage, { index, stage: e.stage });
  });
  const rewardsProblem = (uses: readonly RewardUseConfig[]): string | undefined => {
    try {
      context.createRewardRunner(uses);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  if (config.rewards.length > 0) {
    const problem = rewardsProblem(config.rewards);
    if (problem) problems.push(`rewards: ${problem}`);
  }

  config.stages.forEach((entry, index) => {
    const id = entry.id ?? entry.stage;
    const where = `stages[${index}] "${id}" (${entry.stage})`;
    if (ids.has(id)) {
      problems.push(`${where}: id "${id}" is used by stages[${ids.get(id)}] too; give each stage its own id`);
      return;
    }
    ids.set(id, index);
    if (artifacts[id] || declared[id]) problems.push(`${where}: id "${id}" is also the name of an artifact; rename one`);
    const definition = context.stages.get(entry.stage);
    if (!definition) {
      problems.push(`${where}: unknown stage "${entry.stage}". Registered: ${registered.join(", ") || "(none)"}. Stages come from plugins: list the plugin that provides it under "plugins".`);
      return;
    }
    const stage = asPipelineStage(definition);

    const parsed = stage.options.safeParse(entry.options);
    let stageOptions: unknown = entry.options;
    if (!parsed.success) {
      for (const line of describeConfigIssues(parsed.error, entry.options)) problems.push(`${where}: options.${line}`);
    } else stageOptions = parsed.data;

    const inputs: Record<string, PlannedInput> = {};
    for (const name of Object.keys(entry.inputs)) {
      if (!stage.inputs[name]) {
        const takes = Object.entries(stage.inputs).map(([n, s]) => `${n} (${s.kind})`).join(", ") || "no inputs";
        problems.push(`${where}: unknown input "${name}"; stage ${stage.name} takes ${takes}`);
      }
    }
    for (const [name, spec] of Object.entries(stage.inputs)) {
      const ref = entry.inputs[name];
      if (ref === undefined) {
        if (!spec.optional) {
          problems.push(`${where}: input "${name}" (${kindPhrase(spec.kind)}) is missing. ${producersHint(spec.kind, context, earlier)}`);
        }
        continue;
      }
      const resolved = resolveRef(ref, spec.kind, artifacts, declared, earlier, later, index);
      if (typeof resolved === "string") problems.push(`${where}: input "${name}" = "${ref}": ${resolved}`);
      else inputs[name] = { ref, kind: spec.kind, source: resolved };
    }

    if (stage.needs.task && !config.task && !config.data) problems.push(`${where}: needs a task (training prompts or held-out problems); add task: { name: arithmetic | countdown, ... } or data: { train, eval } at the top of the config`);
    const rewards = entry.rewards ?? (config.rewards.length > 0 ? config.rewards : undefined);
    if (stage.needs.rewards && !rewards) problems.push(`${where}: needs rewards; give the stage a rewards: list or the pipeline one`);
    if (entry.rewards) {
      const problem = rewardsProblem(entry.rewards);
      if (problem) problems.push(`${where}: ${problem}`);
    }

    const makesModel = Object.values(stage.outputs).some((o) => o.kind === "model");
    let evalSettings: EvalSettings | false = false;
    if (makesModel && entry.eval !== false && config.eval.problems > 0) {
      const explicit = entry.eval !== undefined;
      evalSettings = { ...config.eval, ...(typeof entry.eval === "object" ? entry.eval : {}) };
      const hasTask = config.task !== undefined || config.data !== undefined;
      if (!hasTask || !rewards) {
        if (explicit) problems.push(`${where}: eval needs the pipeline's task and rewards (${!hasTask ? "no task" : "no rewards"})`);
        evalSettings = false;
      } else if (evalSettings.problems === 0) evalSettings = false;
      else for (const k of evalSettings.passK) if (k > evalSettings.samplesPerProblem) problems.push(`${where}: eval.passK ${k} needs samplesPerProblem >= ${k}, got ${evalSettings.samplesPerProblem}`);
    }
    stages.push({ index, id, stage, entry, options: stageOptions, inputs, rewards, eval: evalSettings });
    earlier.set(id, stage);
  });
  for (const k of config.eval.passK) if (k > config.eval.samplesPerProblem) problems.push(`eval.passK: ${k} needs samplesPerProblem >= ${k}, got ${config.eval.samplesPerProblem}`);

  if (problems.length > 0) throw new PipelineConfigError(options.source ?? "(config)", problems);
  return { artifacts, stages };
}

function resolveRef(
  ref: string,
  kind: ArtifactKind,
  artifacts: Record<string, PlannedArtifact>,
  declared: Record<string, { kind: ArtifactKind }>,
  earlier: Map<string, PipelineStage>,
  later: Map<string, { index: number; stage: string }>,
  index: number,
): InputSource | string {
  const external = declared[ref];
  if (external) {
    if (external.kind !== kind) return `needs ${kindPhrase(kind)}, but artifacts.${ref} is ${kindPhrase(external.kind)}`;
    if (!artifacts[ref]) return `artifacts.${ref} cannot be used (see its own error)`;
    return { type: "artifact", name: ref };
  }
  const dot = ref.lastIndexOf(".");
  const candidates: [string, string | undefined][] = [[ref, undefined]];
  if (dot > 0) candidates.unshift([ref.slice(0, dot), ref.slice(dot + 1)]);
  for (const [stageId, output] of candidates) {
    const producer = earlier.get(stageId);
    if (!producer) {
      const after = later.get(stageId);
      if (after && after.index >= index) return `stage "${stageId}" (${after.stage}) runs at stages[${after.index}], not before this one; stages run in order, so move it earlier`;
      continue;
    }
    const outputs = Object.entries(producer.outputs);
    if (output !== undefined) {
      const spec = producer.outputs[output];
      if (!spec) return `stage "${stageId}" (${producer.name}) has no output "${output}"; it makes ${outputs.map(([n, s]) => `${n} (${s.kind})`).join(", ") || "nothing"}`;
      if (spec.kind !== kind) return `needs ${kindPhrase(kind)}, but output "${output}" of stage "${stageId}" (${producer.name}) is ${kindPhrase(spec.kind)}`;
      return { type: "stage", stageId, output };
    }
    const ofKind = outputs.filter(([, s]) => s.kind === kind);
    if (ofKind.length === 1) return { type: "stage", stageId, output: ofKind[0][0] };
    if (ofKind.length === 0) return `needs ${kindPhrase(kind)}, but stage "${stageId}" (${producer.name}) makes ${outputs.map(([n, s]) => `${n} (${s.kind})`).join(", ") || "nothing"}`;
    return `stage "${stageId}" (${producer.name}) makes ${ofKind.length} ${kind}s (${ofKind.map(([n]) => n).join(", ")}); say which: "${stageId}.<output>"`;
  }
  const known = [...Object.keys(declared).map((n) => `${n} (${declared[n].kind})`), ...[...earlier].flatMap(([id, s]) => Object.entries(s.outputs).map(([n, o]) => `${id}.${n} (${o.kind})`))];
  return `no artifact or earlier stage output has this name. Known: ${known.join(", ") || "(none)"}`;
}

/** "Earlier stages that make a dataset: ...; stages that can: ...; or add it under artifacts:". */
function producersHint(kind: ArtifactKind, context: RunContext, earlier: Map<string, PipelineStage>): string {
  const fromEarlier = [...earlier].flatMap(([id, s]) => Object.entries(s.outputs).filter(([, o]) => o.kind === kind).map(([n]) => `${id}.${n}`));
  const makers = [...context.stages.values()].map(asPipelineStage).filter((s) => Object.values(s.outputs).some((o) => o.kind === kind)).map((s) => s.name);
  const parts = [];
  if (fromEarlier.length > 0) parts.push(`earlier stages make ${fromEarlier.join(", ")}`);
  if (makers.length > 0) parts.push(`stages that make ${kindPhrase(kind)}: ${makers.join(", ")}`);
  parts.push(`or declare one under artifacts: { <name>: { kind: ${kind}, path: ... } }`);
  return `Give it in inputs: ${parts.join("; ")}.`;
}
