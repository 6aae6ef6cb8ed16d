// A reward worker (plain JavaScript: a worker file gets no TypeScript loader from its parent). It loads
// rewards by where they come from (see reward-source.ts) and scores batches with them. The host's pool
// terminates this worker when a batch runs past its time limit, which stops even a synchronous loop.
import { parentPort, workerData } from "node:worker_threads";

const rewards = new Map();
let tsxRegistered = false;

/** TypeScript sources (a workspace that runs its .ts files directly) need tsx's loader in this thread. */
async function importModule(url) {
  if (/\.[cm]?tsx?$/.test(new URL(url).pathname) && !tsxRegistered) {
    try {
      const { register } = await import("tsx/esm/api");
      register();
      tsxRegistered = true;
    } catch (error) {
      throw new Error(`${url} is TypeScript, and tsx (which loads it in a worker) cannot be imported: ${error.message}`);
    }
  }
  return import(url);
}

const isReward = (v) => typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.score === "function";
const isPlugin = (v) => typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.setup === "function";

/** Every hook a plugin may tap, as a no-op: hooks fire in the host, not here. */
const noHooks = new Proxy({}, { get: () => ({ tap() {}, tapPromise() {}, tapAsync() {}, intercept() {} }) });

async function load({ source, name }) {
  if (source.kind === "module") {
    const module = await importModule(source.url);
    const found = Object.values(module).find((v) => isReward(v) && v.name === name);
    if (found === undefined) throw new Error(`module ${source.url} exports no reward named "${name}"`);
    return found;
  }
  const module = await importModule(source.url);
  const plugin = [module.default, module.plugin, module.default?.default].find(isPlugin);
  if (plugin === undefined) throw new Error(`${source.url} does not export a plugin`);
  const registered = [];
  const ignore = () => {};
  await plugin.setup({
    plugin: { name: plugin.name, version: plugin.version },
    coreVersion: workerData.coreVersion,
    hooks: noHooks,
    container: undefined,
    config: source.config,
    registerReward: (reward) => registered.push(reward),
    registerStage: ignore,
    registerBackend: ignore,
    registerTokenizer: ignore,
    warn: ignore,
  }, source.options);
  const found = registered.find((r) => isReward(r) && r.name === name);
  if (found === undefined) throw new Error(`plugin "${plugin.name}" (${source.url}) registered no reward named "${name}" in a worker`);
  return found;
}

function message(error) {
  return error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error);
}

parentPort.on("message", async (job) => {
  if (job.type === "load") {
    try {
      if (!rewards.has(job.key)) rewards.set(job.key, await load(job));
      parentPort.postMessage({ type: "loaded", id: job.id });
    } catch (error) {
      parentPort.postMessage({ type: "error", id: job.id, message: message(error) });
    }
    return;
  }
  const reward = rewards.get(job.key);
  const warn = (text) => parentPort.postMessage({ type: "warn", id: job.id, message: String(text) });
  try {
    const scores = await reward.score(job.batch, { options: job.options, signal: new AbortController().signal, warn });
    try {
      parentPort.postMessage({ type: "scores", id: job.id, scores });
    } catch (error) {
      parentPort.postMessage({ type: "error", id: job.id, message: `its scores cannot be sent back from the worker (${message(error)}); return an array of numbers or nulls` });
    }
  } catch (error) {
    parentPort.postMessage({ type: "error", id: job.id, message: message(error) });
  }
});
