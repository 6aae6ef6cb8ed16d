/** The `r1ts` entry point: dispatches to a command, prints help, turns errors into exit codes. */
import { R1tsError } from "@r1ts/core";
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
  ].join("\n");
}

export async function main(argv: string[], list: readonly Command[] = commands): Promise<number> {
  const [name, ...rest] = argv;
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
      console.error(`r1ts ${name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
