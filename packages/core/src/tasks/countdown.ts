/**
 * TinyZero's Countdown: given 3-4 numbers and a target, write an equation with + - * / and parentheses
 * that uses each number exactly once and equals the target. Problems are made by combining the numbers
 * at random until one value remains, so each has at least one solution (kept as `columns.solution`).
 */
import { Generator } from "../random/generator.ts";
import { type Problem, type Task, TaskError, splitFraction } from "./task.ts";
import { r1ZeroPrompt } from "./template.ts";

export interface CountdownTaskOptions {
  /** How many numbers (default [3, 4]: 3 or 4). */
  minNumbers?: number;
  maxNumbers?: number;
  /** Numbers are drawn from 1..maxNumber (default 99). */
  maxNumber?: number;
  /** Targets lie in 1..maxTarget (default 100). */
  maxTarget?: number;
  heldOutFraction?: number;
  seed?: number;
}

export interface CountdownProblem extends Problem {
  readonly numbers: readonly number[];
  readonly target: number;
}

export interface CountdownTask extends Task {
  sampleTrain(rng: Generator): CountdownProblem;
  heldOut(count: number): CountdownProblem[];
}

export function countdownTask(options: CountdownTaskOptions = {}): CountdownTask {
  const { minNumbers = 3, maxNumbers = 4, maxNumber = 99, maxTarget = 100, heldOutFraction = 0.1, seed = 0 } = options;
  if (!Number.isSafeInteger(minNumbers) || minNumbers < 2 || !Number.isSafeInteger(maxNumbers) || maxNumbers < minNumbers || maxNumbers > 6) {
    throw new TaskError(`countdown: need 2 <= minNumbers <= maxNumbers <= 6, got ${minNumbers}, ${maxNumbers}`);
  }
  if (!Number.isSafeInteger(maxNumber) || maxNumber < 2) throw new TaskError(`countdown: maxNumber must be an integer >= 2, got ${maxNumber}`);
  if (!Number.isSafeInteger(maxTarget) || maxTarget < 1) throw new TaskError(`countdown: maxTarget must be an integer >= 1, got ${maxTarget}`);
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) throw new TaskError(`countdown: heldOutFraction must be in (0, 1), got ${heldOutFraction}`);

  const draw = (rng: Generator): CountdownProblem => {
    for (;;) {
      const n = minNumbers + rng.int(maxNumbers - minNumbers + 1);
      const numbers = Array.from({ length: n }, () => 1 + rng.int(maxNumber));
      const solved = combineAtRandom(numbers, rng);
      if (solved && solved.value >= 1 && solved.value <= maxTarget) return make(numbers, solved.value, solved.expr);
    }
  };
  const isHeldOut = (p: Problem): boolean => splitFraction(p.id, seed) < heldOutFraction;

  return {
    name: "countdown",
    sampleTrain(rng) {
      for (;;) {
        const p = draw(rng);
        if (!isHeldOut(p)) return p;
      }
    },
    heldOut(count) {
      if (!Number.isSafeInteger(count) || count < 0) throw new TaskError(`countdown: held-out count must be an integer >= 0, got ${count}`);
      const rng = new Generator(seed + 0x5eed);
      const seen = new Map<string, CountdownProblem>();
      for (let tries = 0; seen.size < count; tries++) {
        if (tries > count * 1000 + 100_000) throw new TaskError(`countdown: could not find ${count} distinct held-out problems (found ${seen.size})`);
        const p = draw(rng);
        if (isHeldOut(p) && !seen.has(p.id)) seen.set(p.id, p);
      }
      return [...seen.values()];
    },
    isHeldOut,
  };
}

function make(numbers: number[], target: number, solution: string): CountdownProblem {
  const question = `Using the numbers [${numbers.join(", ")}], create an equation that equals ${target}. You can use basic arithmetic operations (+, -, *, /) and each number can only be used once`;
  const id = `${[...numbers].sort((x, y) => x - y).join(",")}=${target}`;
  return { id, question, prompt: r1ZeroPrompt(question), answer: String(target), columns: { answer: String(target), numbers, target, solution }, numbers, target };
}

/** Repeatedly replaces two random values by their combination under a random valid operation. */
function combineAtRandom(numbers: readonly number[], rng: Generator): { value: number; expr: string } | undefined {
  let pool = numbers.map((v) => ({ value: v, expr: String(v) }));
  while (pool.length > 1) {
    const i = rng.int(pool.length);
    let j = rng.int(pool.length - 1);
    if (j >= i) j++;
    const [x, y] = [pool[i], pool[j]];
    const options: { value: number; expr: string }[] = [
      { value: x.value + y.value, expr: `(${x.expr} + ${y.expr})` },
      { value: x.value * y.value, expr: `${wrap(x.expr)} * ${wrap(y.expr)}` },
    ];
    if (x.value > y.value) options.push({ value: x.value - y.value, expr: `(${x.expr} - ${y.expr})` });
    if (y.value > 0 && x.value % y.value === 0) options.push({ value: x.value / y.value, expr: `${wrap(x.expr)} / ${wrap(y.expr)}` });
    const picked = options[rng.int(options.length)];
    pool = pool.filter((_, k) => k !== i && k !== j);
    pool.push(picked);
  }
  const last = pool[0];
  return last ? { value: last.value, expr: stripOuter(last.expr) } : undefined;
}

const wrap = (e: string): string => (/^\d+$/.test(e) || (e.startsWith("(") && balancedOuter(e)) ? e : `(${e})`);
const stripOuter = (e: string): string => (e.startsWith("(") && balancedOuter(e) ? e.slice(1, -1) : e);

/** True when the first "(" closes at the last character. */
function balancedOuter(e: string): boolean {
  let depth = 0;
  for (let i = 0; i < e.length; i++) {
    if (e[i] === "(") depth++;
    else if (e[i] === ")") depth--;
    if (depth === 0 && i < e.length - 1) return false;
  }
  return e.endsWith(")");
}

export type CountdownVerdict = "correct" | "wrong" | "malformed";

/**
 * Checks an equation like `(44 + 19) + 35`: "malformed" if it does not parse (only numbers, + - * /
 * and parentheses), "wrong" if it does not use each given number exactly once or its value misses the
 * target by 1e-5 or more, else "correct" (TinyZero's rule, docs/rewards.md).
 */
export function checkCountdownEquation(equation: string, numbers: readonly number[], target: number): CountdownVerdict {
  const parsed = parseExpression(equation);
  if (!parsed) return "malformed";
  const used = [...parsed.numbers].sort((a, b) => a - b);
  const given = [...numbers].sort((a, b) => a - b);
  if (used.length !== given.length || used.some((v, i) => v !== given[i])) return "wrong";
  return Number.isFinite(parsed.value) && Math.abs(parsed.value - target) < 1e-5 ? "correct" : "wrong";
}

/** A recursive-descent parser of + - * / ( ) over non-negative integers; undefined when malformed. */
function parseExpression(text: string): { value: number; numbers: number[] } | undefined {
  const tokens = text.match(/\d+|[-+*/()]|\S/g) ?? [];
  let pos = 0;
  const numbers: number[] = [];
  const peek = (): string | undefined => tokens[pos];
  const primary = (): number | undefined => {
    const t = tokens[pos++];
    if (t === undefined) return undefined;
    if (/^\d+$/.test(t)) {
      numbers.push(Number(t));
      return Number(t);
    }
    if (t === "(") {
      const v = sum();
      if (v === undefined || tokens[pos++] !== ")") return undefined;
      return v;
    }
    return undefined;
  };
  const product = (): number | undefined => {
    let v = primary();
    while (v !== undefined && (peek() === "*" || peek() === "/")) {
      const op = tokens[pos++];
      const r = primary();
      if (r === undefined) return undefined;
      v = op === "*" ? v * r : v / r;
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (peek() === "+" || peek() === "-")) {
      const op = tokens[pos++];
      const r = product();
      if (r === undefined) return undefined;
      v = op === "+" ? v + r : v - r;
    }
    return v;
  };
  if (tokens.length === 0) return undefined;
  const value = sum();
  if (value === undefined || pos !== tokens.length) return undefined;
  return { value, numbers };
}
