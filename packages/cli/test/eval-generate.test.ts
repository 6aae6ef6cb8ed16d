/** `r1ts eval` and `r1ts generate` on the bundled base model. */
import { describe, expect, it } from "vitest";
import { r1ts } from "./helpers.ts";

describe("r1ts eval / generate", () => {
  it("eval reports accuracy, format rate and length on held-out problems as JSON", async () => {
    const { code, stdout, stderr } = await r1ts("eval", "--held-out", "6", "--backend", "reference", "--json");
    expect(code).toBe(0);
    const out = JSON.parse(stdout.at(-1)!);
    expect(out).toMatchObject({ task: "arithmetic", backend: "reference", problems: 6 });
    expect(out.accuracy).toBeGreaterThanOrEqual(0);
    expect(out.accuracy).toBeLessThanOrEqual(1);
    expect(out.format).toBeGreaterThanOrEqual(0);
    expect(out.meanLength).toBeGreaterThan(0);
    expect(stderr).toMatch(/6 held-out arithmetic problems on reference/);
  }, 120_000);

  it("generate completes a question in the R1-Zero template, deterministically for a seed", async () => {
    const a = await r1ts("generate", "47+85", "--samples", "2", "--temperature", "1", "--seed", "3", "--backend", "reference", "--json");
    const b = await r1ts("generate", "47+85", "--samples", "2", "--temperature", "1", "--seed", "3", "--backend", "reference", "--json");
    expect(a.code).toBe(0);
    expect(a.stdout).toHaveLength(2);
    const row = JSON.parse(a.stdout[0]);
    expect(row.prompt.endsWith("User: 47+85. Assistant:")).toBe(true);
    expect(typeof row.completion).toBe("string");
    expect(a.stdout).toEqual(b.stdout);
    const bad = await r1ts("generate", "47+85", "--samples", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--samples must be a positive integer, got 0/);
  }, 120_000);
});
