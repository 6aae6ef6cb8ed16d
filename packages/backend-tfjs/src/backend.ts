/**
 * The r1ts Backend on a started tfjs runtime: buffers are tf.Tensors (one per DataId), kernels run
 * inside tf.tidy so their intermediates are freed at once, and disposeData disposes the tf.Tensor
 * right away: nothing waits for the garbage collector.
 */
import { BackendError } from "@r1ts/core";
import type { Backend, DataId, DType, FusedKernelImpls, KernelImpl, PrimitiveKernelImpls, TensorInfo, TypedArray } from "@r1ts/core";
import { TfjsBuffer, checkOutput, fromTfValues, tensorOf, tfDTypeOf, toTfValues } from "./buffer.ts";
import type { DeviceSelection } from "./device/select-device.ts";
import { FUSED_TF_KERNELS, PRIMITIVE_TF_KERNELS } from "./kernels/index.ts";
import type { TfKernel } from "./kernels/kernel.ts";
import type { TfTensor } from "./tf.ts";

export interface TfjsBackendOptions {
  /**
   * Read index inputs (Gather, ScatterAdd, TakeAlongAxis, PutAlongAxisAdd, CrossEntropy labels)
   * back to check their range, failing like the reference backend. Default true; turn off on a GPU
   * to keep those kernels free of host reads (out-of-range indices are then undefined behaviour).
   */
  checkIndices?: boolean;
  /** Leave out the fused kernels (core's composed fallbacks run instead). Default false. */
  unfused?: boolean;
  /** The backend's name in messages (its registry name). Default "tfjs". */
  name?: string;
}

export function createTfjsBackend(runtime: DeviceSelection, options: TfjsBackendOptions = {}): Backend {
  const { tf, tfBackendName, device } = runtime;
  const checkIndices = options.checkIndices ?? true;
  const name = options.name ?? "tfjs";
  const explicitTransposes = device === "wasm";
  let live = 0;
  let destroyed = false;

  /** Makes this backend's tfjs backend the active one (another r1ts tfjs backend may have switched it). */
  const activate = (): void => {
    if (destroyed) throw new BackendError(`backend "${name}" (tfjs device ${device}) was destroyed`);
    if (tf.engine().backendName !== tfBackendName) void tf.setBackend(tfBackendName);
  };

  const own = (t: TfTensor): DataId => {
    live++;
    return new TfjsBuffer(t);
  };

  function implement<A>(kernel: string, impl: TfKernel<A>): KernelImpl<A> {
    return (inputs, attrs, outputs) => {
      activate();
      const inputTensors = new Set(inputs.map((i) => (i.dataId as TfjsBuffer).tensor));
      const results = tf.tidy(() => {
        const x = inputs.map((i) => tensorOf(tf, i));
        const out = impl({ tf, x, attrs, outputs, inputs, checkIndices, explicitTransposes });
        // An input's own tensor already belongs to an r1ts buffer: hand out a clone (shared data).
        return (Array.isArray(out) ? out : [out]).map((t) => (inputTensors.has(t) ? tf.clone(t) : t));
      });
      try {
        results.forEach((t, i) => {
          if (i < outputs.length) checkOutput(kernel, t, outputs[i]);
        });
      } catch (error) {
        for (const t of results) t.dispose();
        throw error;
      }
      return results.map(own);
    };
  }

  const kernels = Object.fromEntries(
    Object.entries(PRIMITIVE_TF_KERNELS).map(([name, impl]) => [name, implement(name, impl as TfKernel<unknown>)]),
  ) as unknown as PrimitiveKernelImpls;
  const fused = options.unfused
    ? {}
    : (Object.fromEntries(Object.entries(FUSED_TF_KERNELS).map(([name, impl]) => [name, implement(name, impl as TfKernel<unknown>)])) as unknown as FusedKernelImpls);

  return {
    name,
    write(values: TypedArray, shape: readonly number[], dtype: DType): DataId {
      activate();
      // Always a copy: tfjs's cpu backend would otherwise keep the caller's array.
      const copy = toTfValues(values.slice(), dtype);
      return own(tf.tensor(copy, [...shape], tfDTypeOf(dtype)));
    },
    async read(dataId: DataId, dtype: DType): Promise<TypedArray> {
      activate();
      return fromTfValues(await (dataId as TfjsBuffer).tensor.data(), dtype);
    },
    readSync(dataId: DataId, dtype: DType): TypedArray {
      activate();
      return fromTfValues((dataId as TfjsBuffer).tensor.dataSync(), dtype);
    },
    disposeData(dataId: DataId): void {
      (dataId as TfjsBuffer).tensor.dispose();
      live--;
    },
    numBuffers: () => live,
    kernels,
    fused,
    describe: () => ({ ...runtime.describe(), checkIndices, fused: !options.unfused }),
    destroy(): void {
      destroyed = true;
    },
  };
}

