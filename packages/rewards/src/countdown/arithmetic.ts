/**
 * A safe evaluator for Countdown equations (no eval): numbers, + - * / ( ), unary signs, and Python's
 * `**` and `//`, since TinyZero's reference checks answers with Python's eval after allowing only the
 * characters `0-9 + - * / ( ) .` and spaces. Returns null for anything malformed or a division by zero.
 */

type Token = { kind: "num"; value: number } | { kind: "op"; value: string };

const ALLOWED = /^[\d+\-*/().\s]+$/;

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = [];
  const pattern = /\s*(\d+\.?\d*|\.\d+|\*\*|\/\/|[-+*/()])/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const m = pattern.exec(text);
    if (m === null) return null;
    const t = m[1];
    tokens.push(/^[\d.]/.test(t) ? { kind: "num", value: Number(t) } : { kind: "op", value: t });
    index = pattern.lastIndex;
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): number {
    const value = this.sum();
    if (this.i !== this.tokens.length) throw new Error("trailing tokens");
    return value;
  }

  private peek(): string | undefined {
    const t = this.tokens[this.i];
    return t?.kind === "op" ? t.value : undefined;
  }

  private sum(): number {
    let value = this.product();
    for (let op = this.peek(); op === "+" || op === "-"; op = this.peek()) {
      this.i++;
      const rhs = this.product();
      value = op === "+" ? value + rhs : value - rhs;
    }
    return value;
  }

  private product(): number {
    let value = this.unary();
    for (let op = this.peek(); op === "*" || op === "/" || op === "//"; op = this.peek()) {
      this.i++;
      const rhs = this.unary();
      if ((op === "/" || op === "//") && rhs === 0) throw new Error("division by zero");
      value = op === "*" ? value * rhs : op === "/" ? value / rhs : Math.floor(value / rhs);
    }
    return value;
  }

  /** Unary signs bind looser than `**` (Python: -2**2 == -4). */
  private unary(): number {
    const op = this.peek();
    if (op === "+" || op === "-") {
      this.i++;
      const v = this.unary();
      return op === "-" ? -v : v;
    }
    return this.power();
  }

  private power(): number {
    const base = this.atom();
    if (this.peek() === "**") {
      this.i++;
      return base ** this.unary();
    }
    return base;
  }

  private atom(): number {
    const t = this.tokens[this.i++];
    if (t === undefined) throw new Error("unexpected end");
    if (t.kind === "num") return t.value;
    if (t.value === "(") {
      const v = this.sum();
      if (this.peek() !== ")") throw new Error("missing )");
      this.i++;
      return v;
    }
    throw new Error(`unexpected ${t.value}`);
  }
}

export function evaluateArithmetic(text: string): number | null {
  if (!ALLOWED.test(text)) return null;
  const tokens = tokenize(text);
  if (tokens === null || tokens.length === 0) return null;
  try {
    const value = new Parser(tokens).parse();
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}
