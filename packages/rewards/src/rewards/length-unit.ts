import { z } from "@r1ts/core";

/** How completion length is measured: "tokens" needs the batch's completion ids; "auto" uses them when present, else characters. */
export const lengthUnitOption = z.enum(["auto", "tokens", "characters"]).default("auto");
