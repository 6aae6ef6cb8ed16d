import { describe, expect, it, vi } from "vitest";
import {
  createReferenceBackend, createRunContext, definePlugin, defineReward, getBackend, isPlugin, PluginError,
  PluginSetupError, REWARD, RewardConfigError, rewardsConfigSchema, RUN_CONTEXT, TRAINER_HOOKS, z,
} from "../src/index.ts";
import type { RewardBatch, RunContext } from "../src/index.ts";
// After core, which loads reflect-metadata (tsyringe needs it first).
import { container as rootContainer } from "tsyringe";

const batch: RewardBatch = { prompts: ["a", "b"], completions: ["yes", "no"], columns: { answer: ["yes", "yes"] } };

const match = defineReward({
  name: "match",
  options: z.object({ column: z.string().default("answer") }),
  score: (b, { options }) => b.completions.map((c, i) => (c === b.columns[options.column]?.[i] ? 1 : 0)),
});

const matchPlugin = definePlugin({
  name: "match-plugin", version: "1.0.0", coreRange: "^0.1.0",
  options: z.object({ column: z.string().default("answer") }),
  setup(api, options) {
    api.registerReward({ ...match, defaultOptions: { column: options.column } });
  },
});

describe("definePlugin", () => {
  it("returns a frozen plugin and rejects malformed definitions", () => {
    expect(Object.isFrozen(matchPlugin)).toBe(true);
    expect(isPlugin(matchPlugin)).toBe(true);
    const base = { name: "p", version: "1.0.0", coreRange: "^0.1.0", setup() {} };
    expect(() => definePlugin({ ...base, name: "" })).toThrow(/definePlugin\(""\): name must be a non-empty string/);
    expect(() => definePlugin({ ...base, version: "one" })).toThrow(/version must be a semver version, got "one"/);
    expect(() => definePlugin({ ...base, coreRange: "not a range!" })).toThrow(/coreRange must be a semver range/);
    expect(() => definePlugin({ ...base, setup: undefined as never })).toThrow(/setup must be a function/);
    expect(() => definePlugin({ ...base, options: {} as never })).toThrow(/options must be a zod schema/);
  });
});

describe("createRunContext", () => {
  it("builds one child container per run, never touching the root container", async () => {
    const a = await createRunContext({ plugins: [matchPlugin] });
    const b = await createRunContext({ plugins: [] });
    expect(a.container).not.toBe(b.container);
    expect(a.container.resolveAll(REWARD)).toEqual([a.rewards.get("match")]);
    expect(b.rewards.size).toBe(0);
    expect(rootContainer.isRegistered(REWARD, false)).toBe(false);
    expect(a.container.resolve(TRAINER_HOOKS)).toBe(a.hooks);
    expect(a.container.resolve<RunContext>(RUN_CONTEXT)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("passes parsed plugin options (with defaults) to setup, and they become the reward's defaults", async () => {
    const ctx = await createRunContext({ plugins: [[matchPlugin, { column: "gold" }]] });
    const gold: RewardBatch = { ...batch, columns: { gold: ["no", "no"] } };
    expect((await ctx.createRewardRunner(["match"]).score(gold)).perReward.match).toEqual([0, 1]);
    // A use's own options still win.
    expect((await ctx.createRewardRunner([{ name: "match", options: { column: "answer" } }]).score(batch)).perReward.match).toEqual([1, 0]);
  });

  it("builtins load first and are replaced by a user plugin of the same name", async () => {
    const setups: string[] = [];
    const make = (tag: string) => definePlugin({ name: "shared", version: "1.0.0", coreRange: "*", setup() { setups.push(tag); } });
    const other = definePlugin({ name: "other", version: "1.0.0", coreRange: "*", setup() { setups.push("other"); } });
    const ctx = await createRunContext({ builtins: [make("builtin"), other], plugins: [make("user")] });
    expect(setups).toEqual(["other", "user"]);
    expect(ctx.plugins.map((p) => p.name)).toEqual(["other", "shared"]);
  });

  it("checks every plugin before any setup runs", async () => {
    const setup = vi.fn();
    const first = definePlugin({ name: "first", version: "1.0.0", coreRange: "*", setup });
    const picky = definePlugin({ name: "picky", version: "1.0.0", coreRange: "*", options: z.object({ n: z.number() }), setup });
    await expect(createRunContext({ plugins: [first, [picky, { n: "x" }]] })).rejects.toThrow(/plugin "picky" \(\(code\)\): invalid options\n  options.n/);
    expect(setup).not.toHaveBeenCalled();
    await expect(createRunContext({ plugins: [{ name: "x" } as never] })).rejects.toThrow(new PluginError("plugins[0] is not a plugin: version must be a semver version, got undefined"));
    await expect(createRunContext({ plugins: [[first, {}, 3] as never] })).rejects.toThrow(/\[plugin or name, options\], got 3 entries/);
  });

  it("registers backends in the run's scope; rejects malformed registrations naming the plugin", async () => {
    const backendPlugin = definePlugin({
      name: "backend-plugin", version: "1.0.0", coreRange: "*",
      setup(api) { api.registerBackend({ name: "plugin-test-backend", priority: -100, create: () => createReferenceBackend() }); },
    });
    const ctx = await createRunContext({ plugins: [backendPlugin] });
    expect([...ctx.backends.keys()]).toEqual(["plugin-test-backend"]);
    // The backend belongs to this run: found within its scope, unknown to core's global registry.
    expect((await getBackend("plugin-test-backend", undefined, ctx.backends)).name).toBe("reference");
    await expect(getBackend("plugin-test-backend")).rejects.toThrow(/unknown backend "plugin-test-backend"/);
    const bad = definePlugin({ name: "bad", version: "1.0.0", coreRange: "*", setup(api) { api.registerReward({ name: "x" } as never); } });
    await expect(createRunContext({ plugins: [bad] })).rejects.toThrow(new PluginSetupError('plugin "bad" called registerReward with something that is not a reward (make it with defineReward)'));
    const asyncFail = definePlugin({ name: "async-fail", version: "1.0.0", coreRange: "*", async setup() { await Promise.resolve(); throw new Error("late"); } });
    await expect(createRunContext({ plugins: [asyncFail] })).rejects.toThrow('plugin "async-fail" ((code)) failed in setup: late');
  });

  it("names unknown rewards and malformed reward entries", async () => {
    const ctx = await createRunContext({ plugins: [matchPlugin] });
    expect(() => ctx.createRewardRunner(["macth"])).toThrow(new RewardConfigError('rewards[0]: unknown reward "macth". Registered: match. Rewards come from plugins: list the plugin that provides it under "plugins".'));
    expect(() => ctx.createRewardRunner([{ name: "match", weight: "2" } as never])).toThrow(/rewards\[0\] is malformed:\n  rewards\[0\].weight: .*expected number, received string/);
    expect(() => ctx.createRewardRunner([{ name: "match", wieght: 2 } as never])).toThrow(/Unrecognized key.*wieght/);
    expect(() => ctx.reward("nope")).toThrow(/unknown reward "nope"/);
  });

  it("plugin warnings are prefixed with the plugin name", async () => {
    const warned: string[] = [];
    const chatty = definePlugin({ name: "chatty", version: "1.0.0", coreRange: "*", setup(api) { api.warn("deprecated option"); } });
    await createRunContext({ plugins: [chatty], warn: (m) => warned.push(m) });
    expect(warned).toEqual(['plugin "chatty": deprecated option']);
  });
});

describe("rewardsConfigSchema", () => {
  it("reads plugins and rewards, leaving other keys alone", () => {
    const parsed = rewardsConfigSchema.parse({ plugins: ["a", ["b", { x: 1 }]], rewards: ["accuracy", { name: "format", weight: 0.5 }], model: "tiny" });
    expect(parsed.plugins).toEqual(["a", ["b", { x: 1 }]]);
    expect(parsed.rewards).toEqual([{ name: "accuracy", weight: 1 }, { name: "format", weight: 0.5 }]);
    expect((parsed as Record<string, unknown>).model).toBe("tiny");
    expect(rewardsConfigSchema.safeParse({ rewards: [] }).success).toBe(false);
    expect(rewardsConfigSchema.safeParse({ rewards: [{ name: "a", onError: "ignore" }] }).success).toBe(false);
  });
});
