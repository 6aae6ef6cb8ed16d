/** What the tfjs backend tells the conformance suite: the defaults, no skips. */
import type { ConformanceOptions } from "@r1ts/core/testing";

export const TFJS_CONFORMANCE_OPTIONS: ConformanceOptions = {};
