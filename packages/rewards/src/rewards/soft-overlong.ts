/**
 * softOverlong (DAPO eq. 13, docs/rewards.md), on completion length L with limit Lmax and buffer C:
 * 0 when L <= Lmax - C; (Lmax - C - L) / C inside the buffer; -1 beyond Lmax. Lengths are in tokens
 * (characters when the batch has no token ids and lengthUnit is "auto"). Set maxLength to the trainer's
 * maximum completion length; the defaults are DAPO's (20480, 4096).
 */
import { completionLengths, defineReward, z } from "@r1ts/core";

export const softOverlongOptions = z.object({
  maxLength: z.number().int().positive().default(20480),
  bufferLength: z.number().int().positive().default(4096),
  lengthUnit: z.enum(["auto", "tokens", "characters"]).default("auto"),
}).strict().refine((o) => o.bufferLength <= o.maxLength, { message: "bufferLength must not exceed maxLength", path: ["bufferLength"] });

export function softOverlongPenalty(length: number, maxLength: number, bufferLength: number): number {
  const expected = maxLength - bufferLength;
  if (length <= expected) return 0;
  if (length <= maxLength) return (expected - length) / bufferLength;
  return -1;
}

export const softOverlongReward = defineReward({
  name: "softOverlong",
  module: import.meta.url,
  description: "DAPO soft overlong punishment: 0 up to maxLength - bufferLength, linear to -1 at maxLength, -1 beyond",
  options: softOverlongOptions,
  score: (batch, { options }) => completionLengths(batch, options.lengthUnit).map((len) => softOverlongPenalty(len, options.maxLength, options.bufferLength)),
});
