/** Runs `r1ts` in-process, capturing what it prints. */
import { vi } from "vitest";
import { main } from "../src/main.ts";

export async function r1ts(...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void stdout.push(a.join(" ")));
  const err = vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void stderr.push(a.join(" ")));
  const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr: stderr.join("\n") };
  } finally {
    log.mockRestore();
    err.mockRestore();
    write.mockRestore();
  }
}
