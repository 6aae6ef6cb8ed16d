/**
 * Multi-digit arithmetic: `a+b` (and optionally `a-b`, `a*b`) with operands of minDigits..maxDigits
 * digits. A problem is held out when a hash of it falls below `heldOutFraction`, so the train sampler
 * can never produce one, whatever the seed of the draw.
 */
import { Generator } from "../random/generator.ts";
import { type Problem, type Task, TaskError, splitFraction } from "./task.ts";
import { r1ZeroPrompt } from "./template.ts";

export type ArithmeticOperation = "+" | "-" | "*";

export interface ArithmeticTaskOptions {
  minDigits?: number;
  maxDigits?: number;
  operations?: readonly ArithmeticOperation[];
  /** Share of all problems set aside for evaluation (default 0.1). */
  heldOutFraction?: number;
  /** Seed of the split and of the held-out list (default 0). */
  seed?: number;
}

export interface ArithmeticProblem extends Problem {
  readonly a: number;
  readonly b: number;
  readonly op: ArithmeticOperation;
}

export interface ArithmeticTask extends Task {
  sampleTrain(rng: Generator): ArithmeticProblem;
  heldOut(count: number): ArithmeticProblem[];
  /** Column-addition working for `a+b` (one line per column, right to left), or the equation for - and *. */
  working(problem: ArithmeticProblem): string;
}

export function arithmeticTask(options: ArithmeticTaskOptions = {}): ArithmeticTask {
  const { minDigits = 2, maxDigits = 3, operations = ["+"], heldOutFraction = 0.1, seed = 0 } = options;
  if (!Number.isSafeInteger(minDigits) || minDigits < 1 || !Number.isSafeInteger(maxDigits) || maxDigits < minDigits || maxDigits > 7) {
    throw new TaskError(`arithmetic: need 1 <= minDigits <= maxDigits <= 7, got minDigits ${minDigits}, maxDigits ${maxDigits}`);
  }
  if (!Array.isArray(operations) || operations.length === 0 || operations.some((o) => !["+", "-", "*"].includes(o))) {
    throw new TaskError(`arithmetic: operations must be a non-empty list of "+", "-", "*", got ${JSON.stringify(operations)}`);
  }
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new TaskError(`arithmetic: heldOutFraction must be in (0, 1), got ${heldOutFraction}`);

  const operand = (rng: Generator): number => {
    const digits = minDigits + rng.int(maxDigits - minDigits + 1);
    const low = digits === 1 ? 0 : 10 ** (digits - 1);
    return low + rng.int(10 ** digits - low);
  };
  const make = (a: number, b: number, op: ArithmeticOperation): ArithmeticProblem => {
    const question = `${a}${op}${b}`;
    const value = op === "+" ? a + b : op === "-" ? a - b : a * b;
    const answer = String(value);
    return { id: question, question, prompt: r1ZeroPrompt(question), answer, columns: { answer, question }, a, b, op };
  };
  const draw = (rng: Generator): ArithmeticProblem => make(operand(rng), operand(rng), operations[rng.int(operations.length)]);
  const isHeldOut = (p: Problem): boolean => splitFraction(p.id, seed) < heldOutFraction;

  return {
    name: "arithmetic",
    sampleTrain(rng) {
      for (;;) {
        const p = draw(rng);
        if (!isHeldOut(p)) return p;
      }
    },
    heldOut(count) {
      if (!Number.isSafeInteger(count) || count < 0) throw new TaskError(`arithmetic: held-out count must be an integer >= 0, got ${count}`);
      const rng = new Generator(seed + 0x5eed);
      const seen = new Map<string, ArithmeticProblem>();
      for (let tries = 0; seen.size < count; tries++) {
        if (tries > count * 1000 + 100_000) throw new TaskError(`arithmetic: could not find ${count} distinct held-out problems (found ${seen.size}); raise heldOutFraction or the digit range`);
        const p = draw(rng);
        if (isHeldOut(p) && !seen.has(p.id)) seen.set(p.id, p);
      }
      return [...seen.values()];
    },
    isHeldOut,
    working(p) {
      if (p.op !== "+") return `${p.question}=${p.answer}`;
      const lines: string[] = [];
      let a = p.a;
      let b = p.b;
      let carry = 0;
      do {
        const da = a % 10;
        const db = b % 10;
        const s = da + db + carry;
        lines.push(`${da}+${db}${carry ? `+${carry}` : ""}=${s}`);
        carry = s >= 10 ? 1 : 0;
        a = Math.floor(a / 10);
        b = Math.floor(b / 10);
      } while (a > 0 || b > 0);
      return lines.join("\n");
    },
  };
}
