/** Core's conformance suite on the tfjs backend with device "cpu" (tfjs's plain JavaScript kernels). */
import { describeConformance } from "@r1ts/core/testing";
import { createTfjsBackendOn } from "../src/index.ts";
import { TFJS_CONFORMANCE_OPTIONS } from "./conformance-options.ts";

describeConformance("tfjs (cpu)", () => createTfjsBackendOn({ device: "cpu" }), TFJS_CONFORMANCE_OPTIONS);
