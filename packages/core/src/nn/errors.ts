/** Errors of the nn modules: a bad model config, and state dicts that do not fit a model. */
import { R1tsError } from "../errors.ts";
import { previewValue } from "../util/preview.ts";

/** A model config field with a missing, mistyped or inconsistent value; names the field, what was expected and what was given. */
export class ModelConfigError extends R1tsError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`model config: "${field}" ${problem}`);
  }

  /** `field` must be `expected` but is `given`. */
  static expected(field: string, expected: string, given: unknown): ModelConfigError {
    return new ModelConfigError(field, `must be ${expected}, got ${formatGiven(given)}`);
  }
}

/** A state dict that does not match a module's parameters: lists missing, unexpected and mis-shaped keys. */
export class StateDictError extends R1tsError {
  constructor(
    readonly missing: readonly string[],
    readonly unexpected: readonly string[],
    readonly mismatched: readonly string[],
  ) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing keys (in the model, not in the state dict): ${missing.join(", ")}`);
    if (unexpected.length > 0) parts.push(`unexpected keys (in the state dict, not in the model): ${unexpected.join(", ")}`);
    if (mismatched.length > 0) parts.push(`mis-shaped keys: ${mismatched.join("; ")}`);
    const hint = missing.length + unexpected.length > 0 ? "\nPass { strict: false } to load only the matching keys (mis-shaped keys fail either way)." : "";
    super(`cannot load state dict:\n  ${parts.join("\n  ")}${hint}`);
  }
}

function formatGiven(value: unknown): string {
  return previewValue(value, 200);
}
