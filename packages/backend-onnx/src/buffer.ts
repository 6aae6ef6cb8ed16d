/** The ONNX backend's buffers: typed arrays in host memory, handed to ORT without copying. */
import type { DType, TensorInfo, TypedArray } from "@r1ts/core";
import { ORT_TYPE } from "./dtypes.ts";
import type { OrtTensor, OrtTensorConstructor } from "./ort.ts";

export class OnnxBuffer {
  /** Same field as the reference backend's host buffers, so its kernels can read these directly. */
  constructor(readonly values: TypedArray) {}
}

export function valuesOf(t: TensorInfo): TypedArray {
  return (t.dataId as OnnxBuffer).values;
}

/** An ORT tensor over a buffer's memory (no copy). */
export function ortTensorOf(Tensor: OrtTensorConstructor, t: TensorInfo): OrtTensor {
  return new Tensor(ORT_TYPE[t.dtype as DType], valuesOf(t), [...t.shape]);
}
