/** `r1ts worker` and `r1ts serve-weights`: usage errors before any work (their runs are tested in packages/queue). */
import { describe, expect, it } from "vitest";
import { r1ts } from "./helpers.ts";

describe("r1ts worker", () => {
  it("names what is missing or malformed and exits 2", async () => {
    const none = await r1ts("worker");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--redis is required/);
    expect((await r1ts("worker", "--redis", "redis://127.0.0.1:1", "--concurrency", "0")).stderr).toMatch(/--concurrency must be an integer >= 1, got 0/);
    const url = await r1ts("worker", "--redis", "http://127.0.0.1:6379", "--backend", "reference");
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/--redis: expected a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/127.0.0.1:6379"/);
    expect((await r1ts("worker", "--help")).stdout.join("\n")).toMatch(/--token-delay-ms MS/);
  });

  it("serve-weights wants a directory", async () => {
    const r = await r1ts("serve-weights");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dir is required/);
  });
});
