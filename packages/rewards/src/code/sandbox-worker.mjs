// The code reward's sandbox worker (plain JavaScript: Node runs worker files without a TypeScript loader).
// Each job runs model-written code in a fresh QuickJS runtime (WASM) with a memory limit, a stack limit
// and an interrupt deadline. The sandbox gets nothing from the host but a write function for its console:
// no require, process, file system, network or host objects. The host thread also kills this worker when
// a job overruns (QuickJS cannot interrupt inside one long native call).
import { parentPort } from "node:worker_threads";
import { getQuickJS } from "quickjs-emscripten";

const QuickJS = await getQuickJS();

const BOOTSTRAP = `(() => {
  const write = globalThis.__r1ts_write;
  delete globalThis.__r1ts_write;
  const show = (v) => { if (typeof v === "string") return v; try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); } };
  const log = (...args) => write(args.map(show).join(" ") + "\\n");
  globalThis.console = { log, info: log, warn: log, error: log, debug: log };
  globalThis.print = log;
  const lines = typeof globalThis.input === "string" ? globalThis.input.split("\\n") : [];
  let next = 0;
  globalThis.readline = () => (next < lines.length ? lines[next++] : undefined);
})();`;

function runJob({ code, test, limits }) {
  const runtime = QuickJS.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(limits.stackBytes);
  const deadline = Date.now() + limits.timeMs;
  let output = "";
  let overflow = false;
  runtime.setInterruptHandler(() => overflow || Date.now() > deadline);
  const context = runtime.newContext();
  let result;
  try {
    const write = context.newFunction("__r1ts_write", (handle) => {
      const text = context.getString(handle);
      if (output.length + text.length > limits.maxOutputBytes) {
        overflow = true;
        output += text.slice(0, Math.max(0, limits.maxOutputBytes - output.length));
        throw new Error("output limit exceeded");
      }
      output += text;
    });
    context.setProp(context.global, "__r1ts_write", write);
    write.dispose();
    if (typeof test === "object" && test !== null) {
      const input = context.newString(String(test.input ?? ""));
      context.setProp(context.global, "input", input);
      input.dispose();
    }
    check(context, context.evalCode(BOOTSTRAP, "bootstrap.js"));
    check(context, context.evalCode(code, "solution.js"));
    drainJobs(runtime, context);
    if (typeof test === "string") {
      const verdict = context.evalCode(`(${test}\n) === true`, "test.js");
      const passed = check(context, verdict);
      result = { passed: passed === true, error: passed === true ? undefined : "assertion is not true" };
    } else {
      const expected = normalizeOutput(String(test.output ?? ""));
      const passed = normalizeOutput(output) === expected;
      result = { passed, error: passed ? undefined : "output differs from the expected output" };
    }
  } catch (error) {
    result = { passed: false, error: overflow ? `output limit of ${limits.maxOutputBytes} bytes exceeded` : String(error?.message ?? error) };
  }
  let recycle = false;
  try {
    context.dispose();
    runtime.dispose();
  } catch {
    recycle = true; // a runtime left inconsistent (e.g. after running out of memory): start a fresh worker
  }
  return { ...result, output: output.slice(0, 1000), recycle };
}

/** The value of an evaluation (only booleans, numbers and short strings are read), or throws its error. */
function check(context, evaluated) {
  if (evaluated.error) {
    const error = context.dump(evaluated.error);
    evaluated.error.dispose();
    const message = typeof error === "object" && error !== null ? `${error.name ?? "Error"}: ${error.message ?? ""}` : String(error);
    throw new Error(message.slice(0, 500));
  }
  const type = context.typeof(evaluated.value);
  const value = type === "boolean" || type === "number" ? context.dump(evaluated.value) : undefined;
  evaluated.value.dispose();
  return value;
}

/** Runs the microtasks the code queued; a program whose promises never settle (an endless loop of jobs) fails. */
function drainJobs(runtime, context) {
  const jobs = runtime.executePendingJobs(MAX_JOBS);
  if (jobs.error) {
    const error = context.dump(jobs.error);
    jobs.error.dispose();
    throw new Error(String(error?.message ?? error).slice(0, 500));
  }
  if (runtime.hasPendingJob()) throw new Error(`microtasks still pending after ${MAX_JOBS} jobs (an endless promise loop?)`);
}

const MAX_JOBS = 10_000;

function normalizeOutput(text) {
  return text.replace(/\r\n/g, "\n").split("\n").map((line) => line.trimEnd()).join("\n").trim();
}

parentPort.on("message", (job) => {
  parentPort.postMessage({ id: job.id, ...runJob(job) });
});
parentPort.postMessage({ ready: true });
