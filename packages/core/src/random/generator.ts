/**
 * A seeded host-side generator (sfc32: small fast counter generator) with a state that can be saved
 * in a checkpoint and restored, so a resumed run draws the same numbers. One generator per purpose.
 */
import { mix32 } from "./counter-hash.ts";

export type GeneratorState = [number, number, number, number];

export class Generator {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number | GeneratorState = 0) {
    if (Array.isArray(seed)) {
      [this.a, this.b, this.c, this.d] = seed.map((v) => v >>> 0) as GeneratorState;
    } else {
      const s = Math.floor(seed) >>> 0;
      this.a = mix32(s ^ 0x243f6a88);
      this.b = mix32(s ^ 0x85a308d3);
      this.c = mix32(s ^ 0x13198a2e);
      this.d = 1;
      for (let i = 0; i < 12; i++) this.nextU32();
    }
  }

  /** The next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A new independent generator derived from this one. */
  fork(): Generator {
    return new Generator([this.nextU32(), this.nextU32(), this.nextU32(), this.nextU32() | 1]);
  }

  getState(): GeneratorState {
    return [this.a, this.b, this.c, this.d];
  }

  setState(state: GeneratorState): void {
    [this.a, this.b, this.c, this.d] = state.map((v) => v >>> 0) as GeneratorState;
  }
}
