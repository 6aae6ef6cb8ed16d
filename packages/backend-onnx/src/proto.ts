/** onnx-proto's generated protobuf classes (a CommonJS package: its default export is the module object). */
import onnxProto from "onnx-proto";

export const onnx = onnxProto.onnx;
export type { onnx as OnnxTypes } from "onnx-proto";
