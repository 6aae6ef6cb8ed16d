/** Core's conformance suite on the ONNX backend's eager mode (one ONNX graph per kernel call), nothing skipped. */
import { describeConformance } from "@r1ts/core/testing";
import { createOnnxBackend } from "../src/index.ts";

describeConformance("onnx", () => createOnnxBackend({ intraOpThreads: 1 }));
