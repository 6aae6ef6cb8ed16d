/**
 * The `r1ts` entry point: dispatches to a command, prints help, and turns every error into one message
 * on stderr and a non-zero exit code: a user error (bad flag, config, dataset, model, plugin: a
 * UsageError or R1tsError) exits 2 with what went wrong, where and what to do; anything else is an
 * internal error (exit 1). No stack trace unless --verbose. Backend packages load lazily (backends.ts).
 */
import { R1tsError } from "@r1ts/core";
import { registerCliBackends } from "./backends.ts";
import { UsageError } from "./command.ts";
import type { Command } from "./command.ts";
import { commands } from "./commands/index.ts";

function help(list: readonly Command[]): string {
  const width = Math.max(0, ...list.map((c) => c.name.length));
  return [
    "r1ts: train reasoning language models the DeepSeek-R1 way",
    "",
    "usage: r1ts <command> [options]     r1ts <command> --help",
    "",
    "commands:",
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "--verbose (any command) prints the stack trace of an error.",
  ].join("\n");
}

/** What an error prints: its message (the first 2000 characters), and the stack with --verbose. */
export function describeError(error: unknown, verbose: boolean): string {
  const e = error instanceof Error ? error : new Error(String(error));
  const message = e.message.length > 2000 ? `${e.message.slice(0, 2000)}... (${e.message.length - 2000} more characters; --verbose prints all)` : e.message;
  if (!verbose) return message;
  const causes: string[] = [];
  for (let c: unknown = e.cause; c instanceof Error && causes.length < 5; c = c.cause) causes.push(`caused by: ${c.stack ?? c.message}`);
  return [e.stack ?? message, ...causes].join("\n");
}

export async function main(argv: string[], list: readonly Command[] = commands): Promise<number> {
  registerCliBackends();
  const verbose = argv.includes("--verbose");
  const [name, ...rest] = argv.filter((a) => a !== "--verbose");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help(list));
    return name === undefined ? 2 : 0;
  }
  const command = list.find((c) => c.name === name);
  if (!command) {
    console.error(`r1ts: unknown command "${name}"\n\n${help(list)}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError || error instanceof R1tsError) {
      console.error(`r1ts ${name}: ${describeError(error, verbose)}`);
      return 2;
    }
    console.error(`r1ts ${name}: internal error: ${describeError(error, verbose)}${verbose ? "" : "\n(run again with --verbose for the stack trace; please report it)"}`);
    return 1;
  }
}
