/** The rollout schedule: which policy version samples each step, hand-out order, drain and restore. */
import { describe, expect, it } from "vitest";
import { type RolloutEngine, type RolloutRequest, RolloutSchedule, type Rollouts, type ScheduledRollouts } from "../src/index.ts";

/** An engine that records what it was asked; its rollouts name the request's step and version. */
function fakeEngine(concurrent: boolean) {
  const log: string[] = [];
  const rollouts = (r: RolloutRequest): Rollouts => ({ completionIds: [[r.step!, r.policyVersion!]], texts: [`s${r.step} v${r.policyVersion}`], finishReasons: ["length"] });
  const engine: RolloutEngine & { concurrent: boolean; submit(r: RolloutRequest): Promise<{ result(): Promise<Rollouts> }> } = {
    name: "fake",
    concurrent,
    async generate(r) {
      log.push(`generate ${r.step}@${r.policyVersion}`);
      return rollouts(r);
    },
    async submit(r) {
      log.push(`submit ${r.step}@${r.policyVersion}`);
      return { result: async () => rollouts(r) };
    },
  };
  return { engine, log };
}

const planner = (planned: number[]) => (step: number) => {
  planned.push(step);
  return { plan: { prompt: `p${step}` }, request: { prompts: [[1]], groupSize: 1, maxNewTokens: 2, temperature: 1, topP: 1, eosTokenId: 0, seed: step } };
};

async function runSteps(schedule: RolloutSchedule<{ prompt: string }>, from: number, to: number): Promise<ScheduledRollouts<{ prompt: string }>[]> {
  const out = [];
  for (let t = from; t < to; t++) out.push(await schedule.next(t, t));
  return out;
}

describe("rollout schedule", () => {
  it("k = 0: step t sampled by version t, asked for at step t", async () => {
    const { engine, log } = fakeEngine(true);
    const planned: number[] = [];
    const got = await runSteps(new RolloutSchedule(engine, 0, planner(planned)), 0, 3);
    expect(got.map((g) => [g.step, g.policyVersion, g.plan.prompt])).toEqual([[0, 0, "p0"], [1, 1, "p1"], [2, 2, "p2"]]);
    expect(log).toEqual(["generate 0@0", "generate 1@1", "generate 2@2"]);
    expect(planned).toEqual([0, 1, 2]);
  });

  it("k = 2 on a concurrent engine: steps t..t+2 in flight, step s sampled by version max(0, s - 2)", async () => {
    const { engine, log } = fakeEngine(true);
    const planned: number[] = [];
    const schedule = new RolloutSchedule(engine, 2, planner(planned));
    expect(schedule.overlapping).toBe(true);
    const got = await runSteps(schedule, 0, 5);
    expect(got.map((g) => g.policyVersion)).toEqual([0, 0, 0, 1, 2]);
    expect(got.map((g) => g.rollouts.texts[0])).toEqual(["s0 v0", "s1 v0", "s2 v0", "s3 v1", "s4 v2"]);
    expect(log).toEqual(["submit 0@0", "submit 1@0", "submit 2@0", "submit 3@1", "submit 4@2", "submit 5@3", "submit 6@4"]);
    expect(planned).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(schedule.pendingSteps()).toEqual([5, 6]);
  });

  it("an engine on the training model gives the same versions, generating each step when it is handed out", async () => {
    const { engine, log } = fakeEngine(false);
    const schedule = new RolloutSchedule(engine, 1, planner([]));
    expect(schedule.overlapping).toBe(false);
    expect((await runSteps(schedule, 0, 3)).map((g) => g.policyVersion)).toEqual([0, 0, 1]);
    expect(log).toEqual(["generate 0@0", "generate 1@0", "generate 2@1", "generate 3@2"]);
  });

  it("drain before a checkpoint and restore after: the resumed schedule continues exactly", async () => {
    const unbroken = await runSteps(new RolloutSchedule(fakeEngine(true).engine, 2, planner([])), 0, 6);
    const planned: number[] = [];
    const first = new RolloutSchedule(fakeEngine(true).engine, 2, planner(planned));
    const before = await runSteps(first, 0, 3);
    const saved = JSON.parse(JSON.stringify(await first.drain())) as ScheduledRollouts<{ prompt: string }>[];
    expect(saved.map((s) => [s.step, s.policyVersion])).toEqual([[3, 1], [4, 2]]);
    const second = new RolloutSchedule(fakeEngine(true).engine, 2, planner(planned));
    second.restore(saved);
    const after = await runSteps(second, 3, 6);
    expect([...before, ...after]).toEqual(unbroken);
    expect(planned).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("hands out nothing past the run's last step", async () => {
    const { engine, log } = fakeEngine(true);
    const schedule = new RolloutSchedule(engine, 2, planner([]), 3);
    expect((await runSteps(schedule, 0, 4)).map((g) => g.policyVersion)).toEqual([0, 0, 0, 1]);
    expect(log).toEqual(["submit 0@0", "submit 1@0", "submit 2@0", "submit 3@1"]);
    expect(schedule.pendingSteps()).toEqual([]);
  });

  it("rejects a bad maxStaleness and a step that was never asked for", async () => {
    expect(() => new RolloutSchedule(fakeEngine(true).engine, -1, planner([]))).toThrow(/rollout.maxStaleness must be an integer >= 0, got -1/);
    expect(() => new RolloutSchedule(fakeEngine(true).engine, 1.5, planner([]))).toThrow(/maxStaleness/);
    const schedule = new RolloutSchedule(fakeEngine(true).engine, 1, planner([]));
    await schedule.next(0);
    await schedule.next(1);
    await expect(schedule.next(0)).rejects.toThrow(/no rollouts were asked for step 0 \(steps in flight: 2\)/);
  });
});
