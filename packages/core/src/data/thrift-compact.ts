/**
 * A small reader of Thrift's compact protocol (the encoding of Parquet's page headers), enough to read a
 * struct's integer fields and nested structs and to skip everything else. Used to check page headers
 * before a Parquet decoder trusts them. Every malformed byte throws a RangeError-free ThriftError.
 */
export class ThriftError extends Error {}

/** A decoded struct: field id -> number (ints), boolean, nested struct, or null for skipped values. */
export type ThriftStruct = Map<number, number | boolean | ThriftStruct | null>;

export class ThriftReader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
    private readonly end: number,
  ) {}

  private byte(): number {
    if (this.offset >= this.end) throw new ThriftError(`thrift data ends at byte ${this.offset}`);
    return this.bytes[this.offset++];
  }

  /** An unsigned LEB128 varint (up to 64 bits; precision beyond 2^53 is not needed for sizes). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new ThriftError(`varint longer than 10 bytes at byte ${this.offset}`);
  }

  /** A zigzag-encoded signed integer. */
  zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  private skipBytes(n: number): void {
    if (n < 0 || this.offset + n > this.end) throw new ThriftError(`a field of ${n} bytes at byte ${this.offset} runs past the end`);
    this.offset += n;
  }

  private value(type: number, depth: number): number | boolean | ThriftStruct | null {
    switch (type) {
      case 1: return true;
      case 2: return false;
      case 3: this.byte(); return null;
      case 4: case 5: case 6: return this.zigzag();
      case 7: this.skipBytes(8); return null;
      case 8: this.skipBytes(this.varint()); return null;
      case 9: case 10: {
        const head = this.byte();
        const size = (head >> 4) === 15 ? this.varint() : head >> 4;
        for (let i = 0; i < size; i++) this.element(head & 0x0f, depth);
        return null;
      }
      case 11: {
        const size = this.varint();
        if (size > 0) {
          const types = this.byte();
          for (let i = 0; i < size; i++) {
            this.element(types >> 4, depth);
            this.element(types & 0x0f, depth);
          }
        }
        return null;
      }
      case 12: return this.struct(depth + 1);
      default: throw new ThriftError(`unknown thrift type ${type} at byte ${this.offset}`);
    }
  }

  /** Collection elements encode booleans as a byte. */
  private element(type: number, depth: number): void {
    if (type === 1 || type === 2) this.byte();
    else this.value(type, depth);
  }

  struct(depth = 0): ThriftStruct {
    if (depth > 16) throw new ThriftError(`thrift structs nested deeper than 16 at byte ${this.offset}`);
    const fields: ThriftStruct = new Map();
    let id = 0;
    for (;;) {
      const head = this.byte();
      if (head === 0) return fields;
      const delta = head >> 4;
      id = delta === 0 ? this.zigzag() : id + delta;
      fields.set(id, this.value(head & 0x0f, depth));
    }
  }
}
