/**
 * Interruptible rewards: rewards with a source run in a pool of worker threads under a watchdog. A
 * synchronous infinite loop and a regex backtracking on a 10 MB completion are stopped at their timeout,
 * scored by onError, and the next batch (on a fresh worker) still scores. Rewards without a module run
 * on the main thread, or are refused with isolation "worker".
 */
import { afterAll, describe, expect, it } from "vitest";
import { RewardConfigError, RewardTimeoutError, RewardWorkerPool, createRewardRunner, createRunContext, defineReward } from "../src/index.ts";
import type { RewardBatch } from "../src/index.ts";
import { backtrackReward, spinReward, unsendableReward, whereReward } from "./fixtures/runaway-rewards.ts";

const pool = new RewardWorkerPool({ size: 2 });
afterAll(() => pool.close());

const batch: RewardBatch = { prompts: ["q", "q"], completions: ["a", "b"], columns: {} };

describe("rewards under a watchdog in worker threads", () => {
  it("an infinite-loop reward is stopped at its timeout and scored by onError; the run goes on", async () => {
    const warnings: string[] = [];
    const runner = createRewardRunner([{ reward: spinReward, timeoutMs: 1500, onError: "zero" }, { reward: whereReward }], { pool, warn: (m) => warnings.push(m) });
    expect(runner.uses.map((u) => u.runsIn)).toEqual(["worker", "worker"]);
    // Warm the workers first, so the timing below measures the watchdog, not module loading.
    await createRewardRunner([{ reward: whereReward }], { pool, warn: () => {} }).score(batch);
    const start = performance.now();
    const scores = await runner.score(batch);
    const ms = performance.now() - start;
    expect(scores.perReward.spin).toEqual([0, 0]);
    expect(scores.perReward.where).toEqual([1, 1]);
    expect(scores.warnings.some((w) => /reward "spin" did not finish within 1500 ms on a batch of 2 rows and was stopped \(its worker thread was terminated\)/.test(w))).toBe(true);
    // Stopped at the timeout (plus scheduling), not after the loop "ends".
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(6000);
    // The next batch runs on a fresh worker.
    const again = await createRewardRunner([{ reward: whereReward }], { pool, warn: (m) => warnings.push(m) }).score(batch);
    expect(again.perReward.where).toEqual([1, 1]);
    expect(warnings).toContain('reward "where": worker thread');
    // With onError "fail" the same loop is a RewardTimeoutError.
    const failing = createRewardRunner([{ reward: spinReward, timeoutMs: 300 }], { pool });
    await expect(failing.score(batch)).rejects.toBeInstanceOf(RewardTimeoutError);
  });

  it("a regex backtracking for minutes on a 10 MB completion is stopped at its timeout", async () => {
    const huge = "a".repeat(10 * 2 ** 20) + "!";
    const runner = createRewardRunner([{ reward: backtrackReward, timeoutMs: 2000, onError: "zero" }], { pool, warn: () => {} });
    const start = performance.now();
    const scores = await runner.score({ prompts: ["q", "q"], completions: [huge, "aaaa"], columns: {} });
    expect(scores.perReward.backtrack).toEqual([0, 0]);
    expect(performance.now() - start).toBeLessThan(8000);
    expect(scores.warnings[0]).toMatch(/did not finish within 2000 ms/);
    // Short inputs still score on a fresh worker.
    expect((await runner.score({ prompts: ["q"], completions: ["aaaa"], columns: {} })).perReward.backtrack).toEqual([1]);
  });

  it("scores that cannot leave the worker are a reward failure, not a crash", async () => {
    const runner = createRewardRunner([{ reward: unsendableReward, onError: "zero" }], { pool, warn: () => {} });
    const scores = await runner.score(batch);
    expect(scores.perReward.unsendable).toEqual([0, 0]);
    expect(scores.warnings[0]).toMatch(/reward "unsendable" failed on a batch of 2 rows: its scores cannot be sent back from the worker/);
  });

  it("a reward defined in code without a module runs on the main thread, or is refused with isolation worker", async () => {
    const inline = defineReward({ name: "inline", score: (b) => b.completions.map(() => 0.5) });
    const runner = createRewardRunner([{ reward: inline }], { pool });
    expect(runner.uses[0].runsIn).toBe("main");
    expect((await runner.score(batch)).perReward.inline).toEqual([0.5, 0.5]);
    expect(() => createRewardRunner([{ reward: inline }], { pool, isolation: "worker" })).toThrow(RewardConfigError);
    expect(() => createRewardRunner([{ reward: inline }], { pool, isolation: "worker" })).toThrow(/reward "inline" cannot run in a worker thread: it has no module/);
    // isolation "main" keeps even a reward with a module on the main thread.
    const local = createRewardRunner([{ reward: whereReward }], { pool, isolation: "main", warn: () => {} });
    expect(local.uses[0].runsIn).toBe("main");
    expect((await local.score(batch)).warnings).toContain('reward "where": main thread');
  });

  it("a reward whose module cannot be loaded in a worker falls back to the main thread, with one warning", async () => {
    const lost = defineReward({ name: "lost", module: "file:///nonexistent/reward.js", score: (b) => b.completions.map(() => 1) });
    const warnings: string[] = [];
    const runner = createRewardRunner([{ reward: lost }], { pool, warn: (m) => warnings.push(m) });
    expect((await runner.score(batch)).perReward.lost).toEqual([1, 1]);
    expect((await runner.score(batch)).perReward.lost).toEqual([1, 1]);
    expect(warnings.filter((w) => /reward "lost" cannot run in a worker thread/.test(w))).toHaveLength(1);
    expect(runner.uses[0].runsIn).toBe("main");
  });

  it("a reward registered by a plugin file is rebuilt in the worker by setting the plugin up with the same options", async () => {
    const file = new URL("./fixtures/spin-plugin.mjs", import.meta.url).pathname;
    const calm = await createRunContext({ plugins: [[file, { score: 0.25 }]] });
    const runner = calm.createRewardRunner(["plugin-spin"], { pool, warn: () => {} });
    expect(runner.uses[0].runsIn).toBe("worker");
    expect((await runner.score(batch)).perReward["plugin-spin"]).toEqual([0.25, 0.25]);
    const spinning = await createRunContext({ plugins: [[file, { spin: true }]] });
    const stopped = await spinning.createRewardRunner([{ name: "plugin-spin", timeoutMs: 500, onError: "zero" }], { pool, warn: () => {} }).score(batch);
    expect(stopped.perReward["plugin-spin"]).toEqual([0, 0]);
    expect(stopped.warnings[0]).toMatch(/was stopped/);
  });
});

describe("warming the reward workers", () => {
  it("preload starts every worker of the pool with the rewards loaded, and scoring then uses them", async () => {
    const warm = new RewardWorkerPool({ size: 2 });
    try {
      expect(warm.workers).toBe(0);
      const runner = createRewardRunner([{ reward: whereReward }], { pool: warm, warn: () => {} });
      runner.warm!();
      // warm() returns at once; a preload resolves when every worker has the reward loaded (after warm's loads).
      await warm.preload([{ source: { kind: "module", url: whereReward.module! }, name: whereReward.name }]);
      expect(warm.workers).toBe(2);
      const scores = await runner.score(batch);
      expect(scores.perReward.where).toEqual([1, 1]);
      expect(warm.workers).toBe(2);
    } finally {
      await warm.close();
    }
  });
});
