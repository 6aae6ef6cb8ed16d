import { describe, expect, it } from "vitest";
import {
  BackendError,
  ShapeError,
  TensorStateError,
  add,
  createReferenceBackend,
  engine,
  keep,
  lastBackendSelection,
  matmul,
  memory,
  registerBackend,
  reshape,
  setBackend,
  tensor,
  tidy,
  variable,
  zeros,
} from "../src/index.ts";

describe("memory management", () => {
  it("tidy frees intermediates and keeps returned tensors (nested in objects too)", () => {
    const before = memory();
    const result = tidy(() => {
      const a = tensor([1, 2, 3]);
      const b = add(a, 1);
      const c = add(b, b);
      return { c, list: [add(c, 1)] };
    });
    expect(memory().numTensors - before.numTensors).toBe(2);
    expect(result.c.dataSync()).toEqual(new Float32Array([4, 6, 8]));
    result.c.dispose();
    result.list[0].dispose();
    expect(memory()).toEqual(before);
  });

  it("tidy releases everything when the function throws", () => {
    const before = memory();
    expect(() =>
      tidy(() => {
        add(tensor([1]), 1);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(memory()).toEqual(before);
  });

  it("keep() protects a tensor from its scope", () => {
    const before = memory().numTensors;
    let kept: ReturnType<typeof tensor> | undefined;
    tidy(() => {
      kept = keep(tensor([5]));
      tensor([6]);
    });
    expect(memory().numTensors - before).toBe(1);
    kept!.dispose();
  });

  it("reshape shares the buffer; it is freed only when the last view goes", () => {
    const before = memory();
    const a = tensor([1, 2, 3, 4]);
    const b = reshape(a, [2, 2]);
    expect(memory().numBuffers - before.numBuffers).toBe(1);
    a.dispose();
    expect(b.dataSync()).toEqual(new Float32Array([1, 2, 3, 4]));
    b.dispose();
    expect(memory()).toEqual(before);
  });

  it("using a disposed tensor is a clear error", () => {
    const a = tensor([1, 2]);
    a.dispose();
    expect(() => add(a, a)).toThrow(TensorStateError);
    expect(() => a.dataSync()).toThrow(/disposed/);
  });

  it("variables take over their initial value and assign swaps buffers without leaking", () => {
    const before = memory();
    const v = variable(tensor([1, 2]), "w");
    const next = tensor([3, 4]);
    v.assign(next);
    next.dispose();
    expect(v.dataSync()).toEqual(new Float32Array([3, 4]));
    expect(() => v.assign(tensor([1, 2, 3]))).toThrow(/assign to "w": expected \[2\] f32, got \[3\] f32/);
    v.dispose();
    // the [1,2,3] tensor made for the failing assign is the only one left
    expect(memory().numTensors - before.numTensors).toBe(1);
  });
});

describe("errors name the op and the shapes", () => {
  it("matmul inner dimension mismatch", () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(/MatMul: inner dimensions differ: \[2,3\] x \[4,5\] \(3 vs 4\)/);
  });
  it("broadcasting", () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(ShapeError);
  });
  it("reshape to a different size", () => {
    expect(() => reshape(zeros([2, 3]), [4, 2])).toThrow(/cannot view \[2,3\] \(6 elements\) as \[4,2\]/);
  });
  it("values that do not fill the shape", () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2,2\]/);
  });
  it("mixing backends", () => {
    const other = createReferenceBackend();
    const a = tensor([1]);
    const b = engine.withBackend(other, () => tensor([2]));
    expect(() => add(a, b)).toThrow(/different backends/);
  });
});

describe("backend registry", () => {
  it("auto picks the highest-priority backend that starts and records why others were skipped", async () => {
    registerBackend({
      name: "broken-gpu",
      priority: 100,
      create: () => {
        throw new BackendError("no adapter: install mesa-vulkan-drivers");
      },
    });
    registerBackend({ name: "second", priority: 50, create: () => createReferenceBackend() });
    const chosen = await setBackend("auto");
    const selection = lastBackendSelection()!;
    expect(selection.chosen).toBe("second");
    expect(chosen.name).toBe("reference");
    expect(selection.attempts[0]).toMatchObject({ name: "broken-gpu", ok: false, reason: "no adapter: install mesa-vulkan-drivers" });
    await setBackend("reference");
    expect(engine.backend.name).toBe("reference");
  });

  it("an unknown backend name lists the registered ones", async () => {
    await expect(setBackend("cuda-magic")).rejects.toThrow(/unknown backend "cuda-magic". Registered: .*reference/);
  });
});

describe("pad on storage dtypes", () => {
  it("encodes the pad value (1.5 is 0x3e00 in f16, 0x3fc0 in bf16, 0x3c in E4M3)", async () => {
    const { cast, pad } = await import("../src/index.ts");
    const x = tensor([1]);
    for (const [dtype, code] of [["f16", 0x3e00], ["bf16", 0x3fc0], ["f8e4m3", 0x3c]] as const) {
      const stored = cast(x, dtype);
      const padded = pad(stored, [[1, 0]], 1.5);
      expect(padded.dataSync()[0]).toBe(code);
      stored.dispose();
      padded.dispose();
    }
    x.dispose();
  });
});
