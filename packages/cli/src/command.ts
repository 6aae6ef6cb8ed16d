/** A CLI command: its name, one-line summary, usage text, and what it does. */
export interface Command {
  name: string;
  summary: string;
  /** Full help shown by `r1ts <name> --help`. */
  usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}

/** A user mistake (bad flag, bad file): printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
