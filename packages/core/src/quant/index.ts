export {
  E4M3_MAX,
  E5M2_MAX,
  type E5M2Options,
  encodeE4M3,
  decodeE4M3,
  encodeE5M2,
  decodeE5M2,
  f32ToE4M3,
  e4m3ToF32,
  f32ToE5M2,
  e5m2ToF32,
} from "./fp8.ts";
