/**
 * Device selection: auto's order and reasons, the errors for a missing or broken gpu/node package,
 * and the dynamic import path of the native packages (with a stand-in package on disk, since
 * tfjs-node cannot be installed here).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as tfCore from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { BackendError, engine, getBackend, lastBackendSelection, setBackend } from "@r1ts/core";
import {
  DEVICES,
  PackageNotFoundError,
  TfjsDeviceError,
  createTfjsBackendOn,
  defaultDeviceLoader,
  importOptional,
  registeredTfjs,
  selectDevice,
} from "./helpers.ts";
import type { DeviceLoader, TfjsDevice } from "./helpers.ts";

/** A loader that starts only the listed devices (wasm and cpu for real), failing the others with `reasons`. */
function fakeLoader(reasons: Partial<Record<TfjsDevice, string>>): { loader: DeviceLoader; tried: TfjsDevice[] } {
  const real = defaultDeviceLoader();
  const tried: TfjsDevice[] = [];
  return {
    tried,
    loader: async (device) => {
      tried.push(device);
      const reason = reasons[device];
      if (reason !== undefined) throw new Error(reason);
      return real(device);
    },
  };
}

describe("device auto", () => {
  it("tries gpu, node, wasm, cpu in order and keeps the first that starts, saying why the others were skipped", async () => {
    const { loader, tried } = fakeLoader({ gpu: "no CUDA here", node: "tfjs-node missing" });
    const selection = await selectDevice("auto", loader);
    expect(tried).toEqual(["gpu", "node", "wasm"]);
    expect(selection.device).toBe("wasm");
    expect(selection.attempts).toEqual([
      { device: "gpu", ok: false, reason: "no CUDA here" },
      { device: "node", ok: false, reason: "tfjs-node missing" },
      { device: "wasm", ok: true },
    ]);
    expect(selection.describe().selection).toMatch(/tfjs device "wasm" \(XNNPACK.*requested "auto"; skipped gpu: no CUDA here; node: tfjs-node missing/);
  });

  it("falls through to cpu when wasm fails too, and lists every reason when nothing starts", async () => {
    const cpuOnly = fakeLoader({ gpu: "a", node: "b", wasm: "no WebAssembly" });
    expect((await selectDevice("auto", cpuOnly.loader)).device).toBe("cpu");
    const none = fakeLoader({ gpu: "a", node: "b", wasm: "c", cpu: "d" });
    await expect(selectDevice("auto", none.loader)).rejects.toThrow(/no device could start:\n  gpu: a\n  node: b\n  wasm: c\n  cpu: d/);
  });

  it("on this machine (no tfjs-node installed) picks wasm, with the real loader", async () => {
    const selection = await selectDevice("auto");
    expect(selection.device).toBe("wasm");
    expect(selection.attempts.map((a) => [a.device, a.ok])).toEqual([["gpu", false], ["node", false], ["wasm", true]]);
    expect(selection.attempts[0].reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/);
    expect(selection.attempts[1].reason).toMatch(/@tensorflow\/tfjs-node is not installed/);
  });
});

describe("explicit devices that cannot start", () => {
  it("gpu without tfjs-node-gpu says what to install, the CUDA and cuDNN versions, and how to fall back", async () => {
    const error = await selectDevice("gpu").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TfjsDeviceError);
    expect(error).toBeInstanceOf(BackendError);
    const message = (error as Error).message;
    expect(message).toContain(`device "gpu"`);
    expect(message).toContain("@tensorflow/tfjs-node-gpu is not installed");
    expect(message).toContain("npm install @tensorflow/tfjs-node-gpu@4.22.0");
    expect(message).toContain("CUDA 11.2");
    expect(message).toContain("cuDNN 8.1");
    expect(message).toMatch(/fall back: set the backend option device to "wasm"/);
  });

  it("node without tfjs-node (nor tfjs-node-gpu) says what to install and how to fall back", async () => {
    await expect(selectDevice("node")).rejects.toThrow(/device "node" .*cannot start: @tensorflow\/tfjs-node is not installed.*; nor is @tensorflow\/tfjs-node-gpu\. .*npm install @tensorflow\/tfjs-node@4\.22\.0.*device to "wasm"/s);
  });

  it("an installed package that fails to load reports its own error, not 'not installed'", async () => {
    const loader = defaultDeviceLoader(async () => {
      throw new Error("libcudart.so.11.0: cannot open shared object file");
    });
    await expect(selectDevice("gpu", loader)).rejects.toThrow(/cannot start: libcudart\.so\.11\.0: cannot open shared object file\. Install it/);
  });

  it("rejects an unknown device and unknown options by name", async () => {
    await expect(selectDevice("cuda")).rejects.toThrow(`tfjs backend: unknown device "cuda"; expected one of "auto", "gpu", "node", "wasm", "cpu"`);
    await expect(createTfjsBackendOn({ device: "wasm", devcie: "cpu" } as never)).rejects.toThrow(/unknown option\(s\) devcie/);
    await expect(createTfjsBackendOn({ device: "cpu", checkIndices: "yes" } as never)).rejects.toThrow(/checkIndices must be true or false/);
    expect(DEVICES).toEqual(["gpu", "node", "wasm", "cpu"]);
  });
});

describe("native packages are imported dynamically", () => {
  // A stand-in for @tensorflow/tfjs-node in a user's project: the tfjs API with a "tensorflow" backend
  // (tfjs's cpu kernels registered under that name). Optionally reports no GPU, as tfjs-node-gpu does
  // when TensorFlow finds no CUDA device.
  const project = mkdtempSync(path.join(tmpdir(), "r1ts-tfjs-project-"));
  const coreUrl = pathToFileURL(createRequire(import.meta.url).resolve("@tensorflow/tfjs-core")).href;
  const cpuUrl = pathToFileURL(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-cpu")).href;
  for (const [name, usingGpu] of [["tfjs-node", false], ["tfjs-node-gpu", false]] as const) {
    const dir = path.join(project, "node_modules", "@tensorflow", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `@tensorflow/${name}`, version: "4.22.0", type: "module", main: "index.js" }));
    writeFileSync(
      path.join(dir, "index.js"),
      [
        `import * as tf from ${JSON.stringify(coreUrl)};`,
        `import { MathBackendCPU } from ${JSON.stringify(cpuUrl)};`,
        `if (!tf.findBackendFactory("tensorflow")) {`,
        `  tf.registerBackend("tensorflow", () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: ${usingGpu}, firstUse: false }), 3);`,
        `  for (const k of tf.getKernelsForBackend("cpu")) tf.registerKernel({ ...k, backendName: "tensorflow" });`,
        `}`,
        `export * from ${JSON.stringify(coreUrl)};`,
      ].join("\n"),
    );
  }
  const importFromProject: Parameters<typeof defaultDeviceLoader>[0] = (specifier) =>
    importOptional(specifier, (s) => import(s), project);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("importOptional finds a package in the user's project when this package cannot see it", async () => {
    const mod = (await importOptional("@tensorflow/tfjs-node", (s) => import(s), project)) as { version_core: string };
    expect(mod.version_core).toBe(tfCore.version_core);
    await expect(importOptional("@tensorflow/tfjs-node", (s) => import(s), tmpdir())).rejects.toThrow(PackageNotFoundError);
  });

  it("device node runs the kernels on the package's backend", async () => {
    const backend = await createTfjsBackendOn({ device: "node", loader: defaultDeviceLoader(importFromProject) });
    expect(backend.describe?.()).toMatchObject({ device: "node", tfBackend: "tensorflow", package: "@tensorflow/tfjs-node" });
    const y = engine.withBackend(backend, () => engine.runKernel("Add", [engine.makeTensor([1, 2], [2], "f32"), engine.makeTensor([10, 20], [2], "f32")], {})[0]);
    expect(Array.from(await y.data())).toEqual([11, 22]);
    expect(tfCore.getBackend()).toBe("tensorflow");
  });

  it("device node falls back to tfjs-node-gpu (TensorFlow on the CPU) when tfjs-node is not installed", async () => {
    const onlyGpuPackage: Parameters<typeof defaultDeviceLoader>[0] = (specifier) =>
      specifier === "@tensorflow/tfjs-node" ? Promise.reject(new PackageNotFoundError("@tensorflow/tfjs-node is not installed")) : importFromProject(specifier);
    const selection = await selectDevice("auto", defaultDeviceLoader(onlyGpuPackage));
    expect(selection.attempts.map((a) => [a.device, a.ok])).toEqual([["gpu", false], ["node", true]]);
    expect(selection.attempts[0].reason).toMatch(/found no CUDA GPU/);
    expect(selection.facts).toMatchObject({ package: "@tensorflow/tfjs-node-gpu", usingGpu: false });
  });

  it("device gpu fails when TensorFlow finds no CUDA device", async () => {
    await expect(selectDevice("gpu", defaultDeviceLoader(importFromProject))).rejects.toThrow(/tfjs-node-gpu loaded, but TensorFlow found no CUDA GPU.*CUDA 11\.2 and cuDNN 8\.1/s);
  });
});

describe("the registry", () => {
  it('registers "tfjs" on import; setBackend passes the device option and describe() tells the choice', async () => {
    expect(registeredTfjs().priority).toBeGreaterThan(0);
    const backend = await setBackend("tfjs", { device: "cpu" });
    try {
      expect(lastBackendSelection()?.chosen).toBe("tfjs");
      expect(backend.describe?.()).toMatchObject({ device: "cpu", requested: "cpu", tfBackend: "cpu", checkIndices: true });
      const other = await getBackend("tfjs", { device: "wasm" });
      expect(other.describe?.()).toMatchObject({ device: "wasm" });
    } finally {
      await setBackend("reference");
    }
  });
  it('"tfjs-<device>" names pin the device, so a config\'s one backend line can choose it', async () => {
    try {
      const cpu = await setBackend("tfjs-cpu");
      expect(cpu.name).toBe("tfjs-cpu");
      expect(cpu.describe?.()).toMatchObject({ device: "cpu", requested: "cpu" });
      await expect(setBackend("tfjs-gpu")).rejects.toThrow(/device "gpu" .*cannot start: @tensorflow\/tfjs-node-gpu is not installed.*CUDA 11\.2/s);
      await expect(setBackend("tfjs-wasm", { device: "cpu" })).rejects.toThrow(`backend "tfjs-wasm" runs on device "wasm"; got option device "cpu"`);
    } finally {
      await setBackend("reference");
    }
  });

  it('"auto" prefers tfjs (priority 10) to the reference backend, and tfjs picks its best device', async () => {
    try {
      const backend = await setBackend("auto");
      expect(lastBackendSelection()?.chosen).toBe("tfjs");
      expect(backend.describe?.()).toMatchObject({ device: "wasm", requested: "auto" });
    } finally {
      await setBackend("reference");
    }
  });
});

describe("the plugin", () => {
  it('loads by name from a config ("@r1ts/backend-tfjs") and contributes every tfjs backend to the run', async () => {
    const { createRunContext } = await import("@r1ts/core");
    const packageDir = fileURLToPath(new URL("..", import.meta.url));
    const context = await createRunContext({ plugins: ["@r1ts/backend-tfjs"], baseDir: packageDir });
    expect(context.plugins.map((p) => p.name)).toEqual(["@r1ts/backend-tfjs"]);
    expect([...context.backends.keys()].sort()).toEqual(["tfjs", "tfjs-cpu", "tfjs-gpu", "tfjs-node", "tfjs-wasm"]);
  });
});
