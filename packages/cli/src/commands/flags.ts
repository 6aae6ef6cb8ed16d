/** Flag parsing shared by the commands: a bad flag is a UsageError that shows the command's usage. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "../command.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseFlags(args: string[], usage: string, options: Options, allowPositionals = false): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

/** An integer flag >= min, or undefined when not given. */
export function integerFlag(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${String(value)}`);
  return n;
}

/** A number flag, or `fallback` when not given. */
export function numberFlag(name: string, value: unknown, fallback: number, { min = -Infinity } = {}): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number${min > -Infinity ? ` >= ${min}` : ""}, got ${String(value)}`);
  return n;
}
