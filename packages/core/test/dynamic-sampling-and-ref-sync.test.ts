import { describe, expect, it } from "vitest";
import { Linear, R1tsError, dispose, isReferenceSyncStep, mixReference, sampleInformativeGroups, tensor } from "../src/index.ts";

/** A fake sampler: round r returns `n` groups whose ids count up; every group id divisible by 3 has zero variance. */
function sampler() {
  let next = 0;
  const calls: number[] = [];
  return {
    calls,
    sampleRound: async (n: number) => {
      calls.push(n);
      return Array.from({ length: n }, () => next++);
    },
    informative: (g: number) => g % 3 !== 0,
  };
}

describe("DAPO dynamic sampling", () => {
  it("over-samples, drops zero-variance groups and refills until the target", async () => {
    const s = sampler();
    const r = await sampleInformativeGroups({ target: 4, maxRounds: 5, oversample: 1.5, ...s });
    // Round 0: 6 groups 0..5, informative 1, 2, 4, 5 -> done.
    expect(s.calls).toEqual([6]);
    expect(r.groups).toEqual([1, 2, 4, 5]);
    expect([r.generated, r.dropped, r.surplus, r.filled, r.rounds]).toEqual([6, 2, 0, 0, 1]);
  });

  it("asks each round for the missing groups times the over-sampling factor", async () => {
    const s = sampler();
    const r = await sampleInformativeGroups({ target: 5, maxRounds: 5, oversample: 1, ...s });
    // Round 0: 0..4 -> 1, 2, 4 (3 kept); round 1: 5, 6 -> 5 (4 kept); round 2: 7 -> 7 (5 kept).
    expect(s.calls).toEqual([5, 2, 1]);
    expect(r.groups).toEqual([1, 2, 4, 5, 7]);
    expect([r.generated, r.dropped, r.surplus, r.filled, r.rounds]).toEqual([8, 3, 0, 0, 3]);
  });

  it("tops up with the last dropped groups when the rounds run out, and reports it", async () => {
    const s = { sampleRound: async (n: number) => Array.from({ length: n }, (_, i) => i), informative: (g: number) => g === 1 };
    const r = await sampleInformativeGroups({ target: 3, maxRounds: 2, oversample: 1, ...s });
    // Round 0: 0, 1, 2 -> 1 kept; round 1: 0, 1 -> 1 kept (2); out of rounds: one dropped group (the last, 0) fills.
    expect(r.groups).toEqual([1, 1, 0]);
    expect([r.generated, r.dropped, r.surplus, r.filled, r.rounds]).toEqual([5, 2, 0, 1, 2]);
  });

  it("counts surplus informative groups and checks its options", async () => {
    const r = await sampleInformativeGroups({ target: 2, maxRounds: 1, oversample: 2, sampleRound: async (n) => Array.from({ length: n }, (_, i) => i), informative: () => true });
    expect([r.groups.length, r.generated, r.dropped, r.surplus]).toEqual([2, 4, 0, 2]);
    const bad = { sampleRound: async () => [], informative: () => true };
    await expect(sampleInformativeGroups({ target: 0, maxRounds: 1, oversample: 1, ...bad })).rejects.toThrow(R1tsError);
    await expect(sampleInformativeGroups({ target: 1, maxRounds: 0, oversample: 1, ...bad })).rejects.toThrow(/maxSamplingRounds/);
    await expect(sampleInformativeGroups({ target: 1, maxRounds: 1, oversample: 0.5, ...bad })).rejects.toThrow(/oversample/);
  });
});

describe("reference sync", () => {
  it("ref <- alpha policy + (1 - alpha) ref, parameter by parameter; alpha 1 copies", () => {
    const policy = new Linear(2, 2, { bias: true });
    const ref = new Linear(2, 2, { bias: true });
    const w = tensor([[1, 2], [3, 4]]);
    const rw = tensor([[0, -2], [1, 0]]);
    policy.weight.assign(w);
    ref.weight.assign(rw);
    policy.bias!.assign(tensor([1, 1]));
    mixReference(ref, policy, 0.6);
    const mixed = Array.from(ref.weight.dataSync());
    [0.6 * 1 + 0.4 * 0, 0.6 * 2 + 0.4 * -2, 0.6 * 3 + 0.4 * 1, 0.6 * 4 + 0.4 * 0].forEach((v, i) => expect(mixed[i]).toBeCloseTo(v, 6));
    // The bias started at zeros in the reference.
    Array.from(ref.bias!.dataSync()).forEach((v) => expect(v).toBeCloseTo(0.6, 6));
    mixReference(ref, policy, 1);
    expect(Array.from(ref.weight.dataSync())).toEqual([1, 2, 3, 4]);
    expect(() => mixReference(ref, policy, 1.5)).toThrow(/refMixupAlpha/);
    expect(() => mixReference(new Linear(2, 2), policy, 0.5)).toThrow(/does not have the policy's parameters/);
    dispose([w, rw]);
    policy.dispose();
    ref.dispose();
  });

  it("syncs every N steps from step N on", () => {
    expect([0, 1, 2, 3, 4, 5, 6].filter((s) => isReferenceSyncStep(s, 3))).toEqual([3, 6]);
    expect(isReferenceSyncStep(5, 0)).toBe(false);
  });
});
