/**
 * Loading plugins by name and path: short-name resolution, every loading error, and code vs config giving
 * the same run. Fixture plugins live in a throwaway project folder and import @r1ts/core by file URL
 * (as a plugin with its own copy of core would).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  CORE_VERSION, createRunContext, loadPluginByName, PluginLoadError, PluginNotFoundError, PluginOptionsError,
  PluginSetupError, PluginVersionError, pluginNameCandidates, REWARD,
} from "../src/index.ts";
import type { RewardBatch } from "../src/index.ts";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const core = pathToFileURL(path.resolve(import.meta.dirname, "../src/index.ts")).href;

const rewardPlugin = (name: string, reward: string, extra = "") => `
import { definePlugin, defineReward, z } from ${JSON.stringify(core)};
export default definePlugin({
  name: ${JSON.stringify(name)}, version: "1.2.3", coreRange: "^0.1.0",
  options: z.object({ bonus: z.number().default(0) }).strict(),
  setup(api, options) {
    api.registerReward(defineReward({ name: ${JSON.stringify(reward)}, score: (b) => b.completions.map((c) => c.length + options.bonus) }));
    ${extra}
  },
});
`;

const files: Record<string, string> = {
  "store/r1ts-reward-hello/package.json": JSON.stringify({ name: "r1ts-reward-hello", version: "1.2.3", type: "module", exports: { ".": { import: "./index.mjs" } } }),
  "store/r1ts-reward-hello/index.mjs": rewardPlugin("r1ts-reward-hello", "hello", `api.hooks.afterRewards.tap("r1ts-reward-hello", (e) => { e.control.requestStop("hello saw " + e.scores.names.join(",")); });`),
  "store/r1ts-plugin-tools/package.json": JSON.stringify({ name: "r1ts-plugin-tools", version: "0.0.1", type: "module", main: "main.mjs" }),
  "store/r1ts-plugin-tools/main.mjs": `
import { definePlugin } from ${JSON.stringify(core)};
export default definePlugin({
  name: "r1ts-plugin-tools", version: "0.0.1", coreRange: ">=0.1.0 <1",
  setup(api) {
    api.registerStage({ name: "noop-stage", run: async () => "ran" });
    api.registerTokenizer({ name: "bytes", create: () => ({ vocabSize: 256, encode: (t) => [...new TextEncoder().encode(t)], decode: (ids) => new TextDecoder().decode(new Uint8Array(ids)) }) });
  },
});
`,
  "store/@acme/r1ts-reward-shout/package.json": JSON.stringify({ name: "@acme/r1ts-reward-shout", version: "2.0.0", type: "module", exports: "./index.mjs" }),
  "store/@acme/r1ts-reward-shout/index.mjs": rewardPlugin("@acme/r1ts-reward-shout", "shout"),
  "store/plain-name/package.json": JSON.stringify({ name: "plain-name", version: "1.0.0", type: "module", exports: "./index.mjs" }),
  // A plain object, as a plugin built against another copy of @r1ts/core would export.
  "store/plain-name/index.mjs": `export const plugin = { name: "plain-name", version: "1.0.0", coreRange: "*", setup() {} };`,
  "store/r1ts-reward-fn/package.json": JSON.stringify({ name: "r1ts-reward-fn", version: "1.0.0", type: "module", exports: "./index.mjs" }),
  "store/r1ts-reward-fn/index.mjs": `export default function fnPlugin(options) { return {}; }`,
  "store/r1ts-reward-empty/package.json": JSON.stringify({ name: "r1ts-reward-empty", version: "1.0.0", type: "module", exports: "./index.mjs" }),
  "store/r1ts-reward-empty/index.mjs": `export const helper = 1;`,
  "store/r1ts-reward-future/package.json": JSON.stringify({ name: "r1ts-reward-future", version: "5.0.0", type: "module", exports: "./index.mjs" }),
  "store/r1ts-reward-future/index.mjs": `export default { name: "r1ts-reward-future", version: "5.0.0", coreRange: "^9.0.0", setup() {} };`,
  "store/r1ts-reward-broken/package.json": JSON.stringify({ name: "r1ts-reward-broken", version: "1.0.0", type: "module", exports: "./index.mjs" }),
  "store/r1ts-reward-broken/index.mjs": `throw new Error("cannot find the GPU");`,
  "store/r1ts-reward-nofile/package.json": JSON.stringify({ name: "r1ts-reward-nofile", version: "1.0.0", type: "module", exports: "./missing.mjs" }),
  "store/r1ts-reward-setupfails/package.json": JSON.stringify({ name: "r1ts-reward-setupfails", version: "1.0.0", type: "module", exports: "./index.mjs" }),
  "store/r1ts-reward-setupfails/index.mjs": `export default { name: "r1ts-reward-setupfails", version: "1.0.0", coreRange: "*", setup() { throw new Error("needs an API key"); } };`,
  "store/r1ts-reward-hello-again/package.json": JSON.stringify({ name: "r1ts-reward-hello-again", version: "1.0.0", type: "module", exports: "./index.mjs" }),
  "store/r1ts-reward-hello-again/index.mjs": rewardPlugin("r1ts-reward-hello-again", "hello"),
  "plugins/local-plugin.mjs": rewardPlugin("local-plugin", "local"),
  "plugins/folder-plugin/package.json": JSON.stringify({ name: "folder-plugin", version: "1.0.0", type: "module", exports: { ".": { import: "./entry.mjs" } } }),
  "plugins/folder-plugin/entry.mjs": rewardPlugin("folder-plugin", "folder"),
};


let dir = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "r1ts-plugins-"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  // Packages are links into store/ (as pnpm links them), so vitest transforms them like workspace code.
  for (const file of Object.keys(files).filter((f) => f.endsWith("/package.json") && f.startsWith("store/"))) {
    const pkg = path.dirname(file).slice("store/".length);
    mkdirSync(path.dirname(path.join(dir, "node_modules", pkg)), { recursive: true });
    symlinkSync(path.join(dir, "store", pkg), path.join(dir, "node_modules", pkg), "dir");
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const batch: RewardBatch = { prompts: ["p", "q"], completions: ["abc", "de"], columns: {} };

describe("plugin names", () => {
  it("expands short names like Babel/ESLint, prefixed names first", () => {
    expect(pluginNameCandidates("foo")).toEqual(["r1ts-reward-foo", "r1ts-plugin-foo", "foo"]);
    expect(pluginNameCandidates("@scope/foo")).toEqual(["@scope/r1ts-reward-foo", "@scope/r1ts-plugin-foo", "@scope/foo"]);
    expect(pluginNameCandidates("@scope")).toEqual(["@scope/r1ts-reward", "@scope/r1ts-plugin"]);
    expect(pluginNameCandidates("r1ts-reward-foo")).toEqual(["r1ts-reward-foo"]);
    expect(pluginNameCandidates("@scope/r1ts-plugin-x")).toEqual(["@scope/r1ts-plugin-x"]);
    expect(pluginNameCandidates("@r1ts/rewards")).toEqual(["@r1ts/r1ts-reward-rewards", "@r1ts/r1ts-plugin-rewards", "@r1ts/rewards"]);
    expect(pluginNameCandidates("pkg/sub")).toEqual(["pkg/sub"]);
    expect(pluginNameCandidates("./x.mjs")).toEqual(["./x.mjs"]);
    expect(pluginNameCandidates("/abs/x.js")).toEqual(["/abs/x.js"]);
  });

  it("CORE_VERSION is @r1ts/core's package.json version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    expect(CORE_VERSION).toBe(pkg.version);
  });
});

describe("loading plugins", () => {
  it("resolves short, scoped, prefixed and exact names and paths from the base folder", async () => {
    const cases: [string, string, string][] = [
      ["hello", "r1ts-reward-hello", "r1ts-reward-hello"],
      ["r1ts-reward-hello", "r1ts-reward-hello", "r1ts-reward-hello"],
      ["tools", "r1ts-plugin-tools", "r1ts-plugin-tools"],
      ["@acme/shout", "@acme/r1ts-reward-shout", "@acme/r1ts-reward-shout"],
      ["plain-name", "plain-name", "plain-name"],
      ["./plugins/local-plugin.mjs", "./plugins/local-plugin.mjs", "local-plugin"],
      ["./plugins/folder-plugin", "./plugins/folder-plugin", "folder-plugin"],
    ];
    for (const [request, resolvedName, pluginName] of cases) {
      const loaded = await loadPluginByName(request, dir);
      expect(loaded.resolvedName, request).toBe(resolvedName);
      expect(loaded.plugin.name, request).toBe(pluginName);
      expect(loaded.file.startsWith(dir), request).toBe(true);
    }
  });

  it("a name that resolves to nothing lists every name tried", async () => {
    const error = await loadPluginByName("nothing", dir).catch((e) => e);
    expect(error).toBeInstanceOf(PluginNotFoundError);
    expect(error.message).toBe(`plugin "nothing" not found. Tried: r1ts-reward-nothing, r1ts-plugin-nothing, nothing (resolved from ${dir}). Install it (npm install r1ts-reward-nothing) or give a path.`);
    expect(error.tried).toEqual(["r1ts-reward-nothing", "r1ts-plugin-nothing", "nothing"]);
    await expect(loadPluginByName("@acme/nothing", dir)).rejects.toThrow(/Tried: @acme\/r1ts-reward-nothing, @acme\/r1ts-plugin-nothing, @acme\/nothing/);
    await expect(loadPluginByName("./plugins/missing.mjs", dir)).rejects.toThrow(new RegExp(`plugin "./plugins/missing.mjs" not found: no file or package folder at ${dir}/plugins/missing.mjs`));
    await expect(loadPluginByName("", dir)).rejects.toThrow(PluginNotFoundError);
  });

  it("a module that does not export a plugin says what it exports", async () => {
    const fn = await loadPluginByName("fn", dir).catch((e) => e);
    expect(fn).toBeInstanceOf(PluginLoadError);
    expect(fn.message).toMatch(/plugin "fn" \(.*r1ts-reward-fn\/index.mjs\) does not export a plugin: its default export is a function \(fnPlugin\); export the plugin object itself/);
    await expect(loadPluginByName("empty", dir)).rejects.toThrow(/does not export a plugin: it has no default export \(exports: \["helper"\]\)/);
  });

  it("a module that fails to import, or whose entry is missing, fails naming it", async () => {
    await expect(loadPluginByName("broken", dir)).rejects.toThrow(/plugin "broken" \(.*\) failed to load: cannot find the GPU/);
    await expect(loadPluginByName("nofile", dir)).rejects.toThrow(/plugin "nofile" \(.*r1ts-reward-nofile\/missing.mjs\) failed to load: Cannot find module/);
  });
});

describe("createRunContext with plugins by name", () => {
  it("checks coreRange against the running core", async () => {
    const error = await createRunContext({ plugins: ["future"], baseDir: dir }).catch((e) => e);
    expect(error).toBeInstanceOf(PluginVersionError);
    expect(error.message).toBe(`plugin "r1ts-reward-future" 5.0.0 (future) needs @r1ts/core ^9.0.0, but this is @r1ts/core ${CORE_VERSION}; install a version of the plugin made for this core`);
    await expect(createRunContext({ plugins: ["hello"], baseDir: dir, coreVersion: "1.0.0" })).rejects.toThrow(/needs @r1ts\/core \^0.1.0, but this is @r1ts\/core 1.0.0/);
  });

  it("validates options with the plugin's schema, naming the field", async () => {
    const error = await createRunContext({ plugins: [["hello", { bonus: "lots" }]], baseDir: dir }).catch((e) => e);
    expect(error).toBeInstanceOf(PluginOptionsError);
    expect(error.message).toMatch(/^plugin "r1ts-reward-hello" \(hello\): invalid options\n  options.bonus: .*expected number, received string/);
    await expect(createRunContext({ plugins: [["hello", { bonsu: 1 }]], baseDir: dir })).rejects.toThrow(/Unrecognized key.*bonsu/);
    await expect(createRunContext({ plugins: [["tools", { x: 1 }]], baseDir: dir })).rejects.toThrow(/plugin "r1ts-plugin-tools" takes no options, but was given \{"x":1\}/);
  });

  it("a setup that throws fails naming the plugin; two plugins registering one reward name are named", async () => {
    await expect(createRunContext({ plugins: ["setupfails"], baseDir: dir })).rejects.toThrow(new PluginSetupError('plugin "r1ts-reward-setupfails" (setupfails) failed in setup: needs an API key'));
    await expect(createRunContext({ plugins: ["hello", "hello-again"], baseDir: dir }))
      .rejects.toThrow('reward "hello" is registered twice: by plugin "r1ts-reward-hello" and by plugin "r1ts-reward-hello-again"');
    await expect(createRunContext({ plugins: ["hello", "r1ts-reward-hello"], baseDir: dir })).rejects.toThrow(/plugin "r1ts-reward-hello" is listed twice \(as hello and r1ts-reward-hello\)/);
  });

  it("composing in code and in config give the same run", async () => {
    const { plugin: hello } = await loadPluginByName("hello", dir);
    const { plugin: shout } = await loadPluginByName("@acme/shout", dir);
    const inCode = await createRunContext({ plugins: [[hello, { bonus: 10 }], shout] });
    const inConfig = await createRunContext({ plugins: [["hello", { bonus: 10 }], "@acme/shout"], baseDir: dir });
    for (const ctx of [inCode, inConfig]) {
      expect([...ctx.rewards.keys()]).toEqual(["hello", "shout"]);
      expect(ctx.plugins.map((p) => [p.name, p.version, p.options])).toEqual([["r1ts-reward-hello", "1.2.3", { bonus: 10 }], ["@acme/r1ts-reward-shout", "1.2.3", { bonus: 0 }]]);
      const scores = await ctx.createRewardRunner(["hello", { name: "shout", weight: 2 }]).score(batch);
      expect(scores.perReward).toEqual({ hello: [13, 12], shout: [3, 2] });
      expect(scores.total).toEqual([19, 16]);
    }
    expect(inConfig.plugins[0].source).toBe("hello");
    expect(inCode.plugins[0].source).toBe("(code)");
  });

  it("registers rewards, stages and tokenizers in the run's own container; plugin taps fire through ctx.hooks", async () => {
    const ctx = await createRunContext({ plugins: ["hello", "tools"], baseDir: dir });
    expect(ctx.container.resolveAll(REWARD).map((r: any) => r.name)).toEqual(["hello"]);
    expect(await ctx.stages.get("noop-stage")!.run({}, {})).toBe("ran");
    const tokenizer = await ctx.tokenizers.get("bytes")!.create();
    expect(tokenizer.decode(tokenizer.encode("hé"))).toBe("hé");
    const other = await createRunContext({ plugins: ["tools"], baseDir: dir });
    expect(other.rewards.size).toBe(0);
    expect(other.container.isRegistered(REWARD)).toBe(false);
    const { createTrainerControl } = await import("../src/index.ts");
    const control = createTrainerControl();
    const scores = await ctx.createRewardRunner(["hello"]).score(batch);
    await ctx.hooks.afterRewards.promise({ step: 0, trainer: "grpo", control, batch, scores });
    expect(control.stopReason).toBe("hello saw hello");
  });
});
