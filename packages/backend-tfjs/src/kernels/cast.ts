/**
 * Cast between dtypes. Between compute dtypes: f32 -> i32 truncates toward zero and saturates at
 * the i32 range with NaN -> 0 (as the reference and WGSL do); anything -> bool is x != 0. Storage
 * dtypes (bit patterns in int32 tensors) go to and from f32 through the minifloat codecs; u8 is a
 * plain integer 0..255.
 */
import type { DType } from "@r1ts/core";
import type { Tf, TfTensor } from "../tf.ts";
import type { TfKernel } from "./kernel.ts";
import { MINIFLOAT_FORMATS, decodeMinifloat, encodeMinifloat } from "./minifloat.ts";

const I32_MAX = 2147483647;
const I32_MIN = -2147483648;

/** Rounds toward zero (tfjs backends differ in how their float -> int cast rounds negatives). */
function truncate(tf: Tf, x: TfTensor): TfTensor {
  return tf.mul(tf.sign(x), tf.floor(tf.abs(x)));
}

function floatToI32(tf: Tf, x: TfTensor): TfTensor {
  const finite = tf.where(tf.isNaN(x), tf.zerosLike(x), x);
  // Values beyond the range saturate; in-range values truncate toward zero.
  const clipped = tf.clipByValue(finite, I32_MIN, 2147483520); // the largest f32 below 2^31
  const truncated = tf.cast(truncate(tf, clipped), "int32");
  return tf.where(tf.greaterEqual(finite, 2147483648), tf.fill(x.shape, I32_MAX, "int32"), truncated);
}

function fromF32(tf: Tf, x: TfTensor, dtype: DType): TfTensor {
  switch (dtype) {
    case "f32":
      return tf.clone(x);
    case "i32":
      return floatToI32(tf, x);
    case "bool":
      return tf.notEqual(x, 0);
    case "u8": {
      // As a JS Uint8Array store (the reference): truncate toward zero, wrap modulo 256; NaN and inf give 0.
      const t = truncate(tf, tf.where(tf.isFinite(x), x, tf.zerosLike(x)));
      return tf.cast(tf.sub(t, tf.mul(tf.floor(tf.div(t, 256)), 256)), "int32");
    }
    default:
      return encodeMinifloat(tf, x, MINIFLOAT_FORMATS[dtype]!);
  }
}

export const castKernel: TfKernel<{ dtype: DType }> = ({ tf, x: [x], inputs: [info], attrs: { dtype } }) => {
  const from = info.dtype;
  if (from === dtype) return tf.clone(x);
  if (from === "f32") return fromF32(tf, x, dtype);
  if (dtype === "f32") {
    if (from === "i32" || from === "bool" || from === "u8") return tf.cast(x, "float32");
    return decodeMinifloat(tf, x, MINIFLOAT_FORMATS[from]!);
  }
  // Between i32 and bool.
  if (dtype === "bool") return tf.notEqual(x, 0);
  return tf.cast(x, "int32");
};
