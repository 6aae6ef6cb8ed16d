/**
 * Kernel parameters (shapes, strides, scalars) passed in a uniform block, so one compiled pipeline
 * serves every shape of the same rank and dtype. A ParamLayout declares named fields once; it writes
 * both the WGSL accessors (`p_name()`, `p_name(i)`) and the host-side packing, so they cannot disagree.
 *
 * Word 0 always holds the bits of +infinity: WGSL rejects infinite constants, so shaders read it here.
 */

type Kind = "u32" | "i32" | "f32";

interface Field {
  name: string;
  kind: Kind;
  /** Array length; undefined for a scalar. */
  length: number | undefined;
  offset: number;
}

const INF_BITS = 0x7f800000;

export class ParamLayout {
  private readonly fields: Field[] = [];
  private words = 1;

  private add(name: string, kind: Kind, length: number | undefined): this {
    this.fields.push({ name, kind, length, offset: this.words });
    this.words += Math.max(length ?? 1, 1);
    return this;
  }

  u32(name: string): this {
    return this.add(name, "u32", undefined);
  }

  i32(name: string): this {
    return this.add(name, "i32", undefined);
  }

  f32(name: string): this {
    return this.add(name, "f32", undefined);
  }

  /** An array of `length` u32 (shapes, strides); an empty array still reserves one word. */
  u32s(name: string, length: number): this {
    return this.add(name, "u32", length);
  }

  /** Number of vec4 words of the uniform block. */
  get vec4s(): number {
    return Math.max(1, Math.ceil(this.words / 4));
  }

  /** WGSL accessors for binding `binding`. */
  wgsl(binding: number): string {
    const lines = [
      `@group(0) @binding(${binding}) var<uniform> params: array<vec4<u32>, ${this.vec4s}>;`,
      `fn pu(i: u32) -> u32 { return params[i >> 2u][i & 3u]; }`,
      `fn INF() -> f32 { return bitcast<f32>(pu(0u)); }`,
      `fn NAN() -> f32 { return bitcast<f32>(pu(0u) | 0x400000u); }`,
    ];
    for (const f of this.fields) {
      const read = f.kind === "u32" ? "pu" : `bitcast<${f.kind}>(pu`;
      const close = f.kind === "u32" ? "" : ")";
      if (f.length === undefined) lines.push(`fn p_${f.name}() -> ${f.kind} { return ${read}(${f.offset}u)${close}; }`);
      else lines.push(`fn p_${f.name}(i: u32) -> ${f.kind} { return ${read}(${f.offset}u + i)${close}; }`);
    }
    return lines.join("\n");
  }

  /** Packs values by field name into the uniform words. */
  pack(values: Record<string, number | readonly number[]>): Uint32Array {
    const out = new Uint32Array(this.vec4s * 4);
    const f32 = new Float32Array(out.buffer);
    const i32 = new Int32Array(out.buffer);
    out[0] = INF_BITS;
    for (const f of this.fields) {
      const v = values[f.name];
      if (v === undefined) throw new Error(`webgpu: missing kernel parameter "${f.name}"`);
      const list = typeof v === "number" ? [v] : v;
      const n = f.length ?? 1;
      if (f.length === undefined && typeof v !== "number") throw new Error(`webgpu: parameter "${f.name}" is a scalar`);
      if (f.length !== undefined && list.length !== n) throw new Error(`webgpu: parameter "${f.name}" needs ${n} values, got ${list.length}`);
      for (let i = 0; i < list.length; i++) {
        if (f.kind === "f32") f32[f.offset + i] = list[i];
        else if (f.kind === "i32") i32[f.offset + i] = list[i];
        else out[f.offset + i] = list[i] >>> 0;
      }
    }
    return out;
  }
}
