/** Core's conformance suite on the tfjs backend with device "wasm" (XNNPACK kernels in WebAssembly). */
import { describeConformance } from "@r1ts/core/testing";
import { createTfjsBackendOn } from "../src/index.ts";
import { TFJS_CONFORMANCE_OPTIONS } from "./conformance-options.ts";

describeConformance("tfjs (wasm)", () => createTfjsBackendOn({ device: "wasm" }), TFJS_CONFORMANCE_OPTIONS);
