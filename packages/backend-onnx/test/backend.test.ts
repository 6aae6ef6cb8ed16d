/**
 * The ONNX backend's set-up and graph handling: registration and priority, execution providers (CUDA
 * absent here gives a clear error), the model cache's warm start, host reads inside a captured step,
 * and a trace ONNX cannot hold (a storage-dtype cast) falling back to kernel-by-kernel replay.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BackendError, CaptureError, type Tensor, cast, compile, dispose, engine, exp, getBackend, matmul, mul, registeredBackends, sum, tensor } from "@r1ts/core";
import { ONNX_PRIORITY, createOnnxBackend, cudaProviderInstalled } from "../src/index.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("onnx backend set-up", () => {
  it("registers onnx above tfjs for auto, and onnx-cuda never chosen by auto", async () => {
    const entries = registeredBackends();
    expect(entries.find((f) => f.name === "onnx")?.priority).toBe(ONNX_PRIORITY);
    expect(ONNX_PRIORITY).toBeGreaterThan(10);
    expect(entries.find((f) => f.name === "onnx-cuda")!.priority).toBeLessThan(0);
    const backend = await getBackend("onnx");
    expect(String(backend.describe?.().device)).toMatch(/ONNX Runtime 1\.30\.0 \(cpu\)/);
  });

  it("fails clearly when a requested execution provider is missing or unknown", () => {
    expect(cudaProviderInstalled()).toBe(false);
    expect(() => createOnnxBackend({ executionProviders: ["cuda", "cpu"] })).toThrow(BackendError);
    expect(() => createOnnxBackend({ executionProviders: ["cuda"] })).toThrow(/CUDA execution provider is not installed.*docs\/backend-onnx\.md/);
    expect(() => createOnnxBackend({ executionProviders: ["tpu"] })).toThrow(/unknown execution provider "tpu"; this onnxruntime-node knows cpu, webgpu, cuda/);
    expect(() => createOnnxBackend({ executionProviders: [] })).toThrow(/executionProviders is empty/);
  });

  it("a model cache gives a warm start: the second backend loads the optimised model and computes the same", () => {
    const dir = mkdtempSync(join(tmpdir(), "r1ts-onnx-cache-"));
    dirs.push(dir);
    const f = (x: Tensor, w: Tensor) => sum(exp(mul(matmul(x, w), 0.1)), 1);
    const results: number[][] = [];
    const warm: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      const backend = createOnnxBackend({ modelCache: dir, intraOpThreads: 1 });
      engine.withBackend(backend, () => {
        const g = compile(f, { name: "cached" });
        const x = tensor([[1, 2, 3], [4, 5, 6]]);
        const w = tensor([[0.1, 0.2], [0.3, -0.1], [0.0, 0.5]]);
        const y = g(x, w);
        results.push(Array.from(y.dataSync()));
        warm.push(g.stats().graphs[0].backend.warmStart);
        dispose([x, w, y]);
        g.dispose();
      });
      backend.destroy?.();
    }
    expect(warm).toEqual([false, true]);
    expect(results[1]).toEqual(results[0]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".optimized.onnx"))).toHaveLength(1);
  });

  it("a host read inside a step captured for onnx fails with a CaptureError naming the op", () => {
    const backend = createOnnxBackend({ intraOpThreads: 1 });
    engine.withBackend(backend, () => {
      const x = tensor([1, 2, 3]);
      const step = compile((t: Tensor) => {
        const norm = sum(mul(t, t));
        return mul(t, norm.dataSync()[0] > 1 ? 0.5 : 1);
      }, { name: "normalise" });
      expect(() => step(x)).toThrow(CaptureError);
      expect(() => step(x)).toThrow(/normalise: host read inside a compiled function: tensor\.dataSync\(\) on \[\] f32, the output of kernel Sum/);
      x.dispose();
    });
    backend.destroy?.();
  });

  it("a trace with a storage-dtype cast runs kernel by kernel, with the reason in its stats", () => {
    const backend = createOnnxBackend({ intraOpThreads: 1 });
    engine.withBackend(backend, () => {
      const roundTrip = compile((t: Tensor) => cast(cast(mul(t, 3), "f16"), "f32"), { name: "f16RoundTrip" });
      const x = tensor([0.1, 1, 1000.3]);
      const y = roundTrip(x);
      // f16 keeps 11 significant bits: 0.3 -> 0.300048828125, 3000.9 -> 3000 (spacing 2 above 2048).
      expect(Array.from(y.dataSync())).toEqual([0.300048828125, 3, 3000]);
      const [graph] = roundTrip.stats().graphs;
      expect(graph.mode).toBe("interpreted");
      expect(graph.fallbackReason).toMatch(/Cast f32 -> f16: storage dtypes cross ORT's JavaScript binding as raw bits/);
      dispose([x, y]);
      roundTrip.dispose();
    });
    backend.destroy?.();
  });
});
