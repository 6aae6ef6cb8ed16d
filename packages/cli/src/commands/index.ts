/** Every command of `r1ts`. A new command is one file in this folder and one line here. */
import type { Command } from "../command.ts";
import { rewardsCommand } from "./rewards.ts";

export const commands: Command[] = [
  rewardsCommand,
];
