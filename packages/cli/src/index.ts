export { main } from "./main.ts";
export type { Command } from "./command.ts";
export { UsageError } from "./command.ts";
export { commands } from "./commands/index.ts";
