/**
 * Artifacts: what stages hand to each other. Each has a kind, a path in the run directory (or outside it,
 * for inputs given in the config) and a fingerprint of its contents.
 *   model    a model bundle directory (config.json + model.safetensors) or a Hugging Face model folder
 *            (config.json with model_type, model.safetensors or a sharded index, tokenizer.json), loadable by loadModelBundle
 *   dataset  a JSON Lines file, one object per line (SFT data: prompt, completion, ...)
 *   report   a JSON file (evaluation results)
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { isHfModelFolder } from "../hf/load-pretrained.ts";

export const ARTIFACT_KINDS = ["model", "dataset", "report"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

export interface Artifact {
  readonly kind: ArtifactKind;
  /** Absolute path of the bundle directory or file. */
  readonly path: string;
  /** sha256 of its contents (see hashPath). */
  readonly fingerprint: string;
  /** What made it: `stage "r1-zero" (grpo), output "model"` or `artifacts.base`. */
  readonly producer: string;
}

/** Where a stage writes its output `name` of `kind`, inside the stage's directory. */
export function outputLocation(stageDir: string, name: string, kind: ArtifactKind): string {
  if (kind === "model") return join(stageDir, name);
  if (kind === "dataset") return join(stageDir, `${name}.jsonl`);
  return join(stageDir, `${name}.json`);
}

/** Why `path` is not a usable artifact of `kind` (a model of `format`, when given), or undefined when it is one. */
export function artifactProblem(path: string, kind: ArtifactKind, format?: "bundle" | "hf"): string | undefined {
  if (!existsSync(path)) return `nothing at ${path}`;
  const isDir = statSync(path).isDirectory();
  if (kind === "model") {
    if (!isDir) return `${path} is a file; a model is a bundle directory with config.json and model.safetensors, or a Hugging Face model folder`;
    const hf = isHfModelFolder(path);
    if (format === "hf" && !hf) return `${path} is not a Hugging Face model folder (its config.json must have a model_type)`;
    if (hf) {
      if (!existsSync(join(path, "model.safetensors")) && !existsSync(join(path, "model.safetensors.index.json"))) return `${path} has neither model.safetensors nor model.safetensors.index.json`;
      if (!existsSync(join(path, "tokenizer.json"))) return `${path} has no tokenizer.json (r1ts needs the model's tokenizer)`;
      return undefined;
    }
    for (const f of ["config.json", "model.safetensors"]) if (!existsSync(join(path, f))) return `${path} has no ${f}; a model is a bundle directory with config.json and model.safetensors`;
    return undefined;
  }
  // A dataset may also be a Hugging Face dataset folder (its split files are found when it is read).
  if (isDir && kind !== "dataset") return `${path} is a directory; a ${kind} is a JSON file`;
  return undefined;
}

/** "a model", "a dataset", "a report". */
export const kindPhrase = (kind: ArtifactKind): string => `a ${kind}`;
