import { describe, expect, it, vi } from "vitest";
import { main } from "../src/main.ts";
import type { Command } from "../src/command.ts";
import { UsageError } from "../src/command.ts";

const echo: Command = {
  name: "echo",
  summary: "prints its arguments",
  usage: "r1ts echo [words...]",
  run: async (args) => {
    if (args.includes("--bad")) throw new UsageError("--bad is not an option of echo");
    console.log(args.join(" "));
    return 0;
  },
};

describe("r1ts main", () => {
  it("lists commands in help and dispatches by name", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    expect(await main(["--help"], [echo])).toBe(0);
    expect(log.mock.calls.flat().join("\n")).toContain("echo  prints its arguments");
    expect(await main(["echo", "a", "b"], [echo])).toBe(0);
    expect(log).toHaveBeenLastCalledWith("a b");
    expect(await main(["echo", "--help"], [echo])).toBe(0);
    expect(log).toHaveBeenLastCalledWith("r1ts echo [words...]");
    log.mockRestore();
  });

  it("reports an unknown command and usage errors with exit code 2", async () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await main(["nope"], [echo])).toBe(2);
    expect(err.mock.calls[0][0]).toContain('unknown command "nope"');
    expect(await main(["echo", "--bad"], [echo])).toBe(2);
    expect(err).toHaveBeenLastCalledWith("r1ts echo: --bad is not an option of echo");
    err.mockRestore();
  });
});
