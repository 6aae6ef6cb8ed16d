import { describe, expect, it } from "vitest";
import { createTrainerControl, createTrainerHooks, HookError, TRAINER_HOOK_NAMES } from "../src/train/hooks/index.ts";
import type { StepEndEvent } from "../src/train/hooks/index.ts";

const event = (step: number, metrics: Record<string, number> = {}): StepEndEvent =>
  ({ step, trainer: "grpo", control: createTrainerControl(), metrics });

describe("createTrainerHooks", () => {
  it("has every hook, frozen, and fresh per call", () => {
    const hooks = createTrainerHooks();
    expect(Object.keys(hooks)).toEqual([...TRAINER_HOOK_NAMES]);
    expect(Object.isFrozen(hooks)).toBe(true);
    expect(() => { (hooks as unknown as Record<string, unknown>).afterStep = null; }).toThrow(TypeError);
    const other = createTrainerHooks();
    hooks.afterStep.tap("a", () => {});
    expect(hooks.afterStep.taps.map((t) => t.name)).toEqual(["a"]);
    expect(other.afterStep.taps).toEqual([]);
  });

  it("runs sync, promise and callback taps in order, honouring stage", async () => {
    const hooks = createTrainerHooks();
    const calls: string[] = [];
    hooks.afterStep.tap("first", (e) => { calls.push(`first:${e.step}`); });
    hooks.afterStep.tapPromise("second", async (e) => { await new Promise((r) => setTimeout(r, 5)); calls.push(`second:${e.step}`); });
    hooks.afterStep.tapAsync("third", (e, done) => { calls.push(`third:${e.step}`); done(); });
    hooks.afterStep.tap({ name: "early", stage: -10 }, () => { calls.push("early"); });
    await hooks.afterStep.promise(event(7));
    expect(calls).toEqual(["early", "first:7", "second:7", "third:7"]);
  });

  it("a tap can request the trainer to stop (early stopping)", async () => {
    const hooks = createTrainerHooks();
    hooks.afterStep.tap("early-stop", (e) => { if (e.metrics["reward/mean"] > 0.9) e.control.requestStop(`reward reached ${e.metrics["reward/mean"]}`); });
    const low = event(1, { "reward/mean": 0.5 });
    await hooks.afterStep.promise(low);
    expect(low.control.stopRequested).toBe(false);
    const high = event(2, { "reward/mean": 0.95 });
    await hooks.afterStep.promise(high);
    expect(high.control.stopRequested).toBe(true);
    expect(high.control.stopReason).toBe("reward reached 0.95");
    high.control.requestStop("later reason");
    expect(high.control.stopReason).toBe("reward reached 0.95");
  });

  it("beforeCheckpoint taps can add metadata", async () => {
    const hooks = createTrainerHooks();
    hooks.beforeCheckpoint.tap("git", (e) => { e.metadata.commit = "abc"; });
    const e = { step: 3, trainer: "sft", control: createTrainerControl(), dir: "/tmp/x", metadata: {} as Record<string, unknown> };
    await hooks.beforeCheckpoint.promise(e);
    expect(e.metadata).toEqual({ commit: "abc" });
  });

  it("a failing tap fails the call with a HookError naming hook and tap; later taps do not run", async () => {
    for (const kind of ["sync", "promise", "async"] as const) {
      const hooks = createTrainerHooks();
      let later = false;
      if (kind === "sync") hooks.onLog.tap("my-logger", () => { throw new Error("disk full"); });
      if (kind === "promise") hooks.onLog.tapPromise("my-logger", async () => { throw new Error("disk full"); });
      if (kind === "async") hooks.onLog.tapAsync("my-logger", (_e, done) => done(new Error("disk full")));
      hooks.onLog.tap("after", () => { later = true; });
      const error = await hooks.onLog.promise({ step: 0, trainer: "grpo", control: createTrainerControl(), metrics: {} }).catch((e) => e);
      expect(error, kind).toBeInstanceOf(HookError);
      expect(error.message).toBe('hook "onLog": tap "my-logger" failed: disk full');
      expect(error.cause.message).toBe("disk full");
      expect(later).toBe(false);
    }
  });
});
