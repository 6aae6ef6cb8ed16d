/**
 * Mathematical equivalence of a predicted and a gold answer, with a real symbolic library
 * (@cortex-js/compute-engine parses LaTeX and plain expressions): integers, decimals, fractions, LaTeX,
 * and simple expressions (compared symbolically, then numerically at sample points of their variables).
 */
import { ComputeEngine } from "@cortex-js/compute-engine";
import { normalizeAnswer, plainNumber } from "./normalize.ts";

/** Equal, not equal, or the gold answer cannot be parsed (the reward is then not applicable). */
export type Equivalence = true | false | null;

let engine: ComputeEngine | undefined;
function ce(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

type Expr = NonNullable<ReturnType<ComputeEngine["parse"]>>;

const RELATIVE_TOLERANCE = 1e-9;
const SAMPLE_POINTS = [0.7312, 1.618, -2.257];

function close(a: number, b: number): boolean {
  return Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

function parse(text: string): Expr | null {
  if (text === "") return null;
  try {
    const expr = ce().parse(text);
    if (expr === null || !expr.isValid || JSON.stringify(expr.json) === '"Nothing"') return null;
    return expr;
  } catch {
    return null;
  }
}

function numeric(expr: Expr): number {
  try {
    const value = expr.N();
    const re = value.re;
    const im = value.im;
    return typeof re === "number" && (im === 0 || im === undefined || Number.isNaN(im)) ? re : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function sameAtSamplePoints(a: Expr, b: Expr, variables: string[]): boolean {
  for (const [k, point] of SAMPLE_POINTS.entries()) {
    const values = Object.fromEntries(variables.map((v, j) => [v, point + j * 0.5 + k * 0.01]));
    const x = numeric(a.subs(values));
    const y = numeric(b.subs(values));
    if (!close(x, y)) return false;
  }
  return true;
}

export function mathEquivalent(predicted: string, gold: string): Equivalence {
  const g = normalizeAnswer(gold);
  const p = normalizeAnswer(predicted);
  const gNumber = plainNumber(g);
  const pNumber = plainNumber(p);
  if (gNumber !== null && pNumber !== null) return close(gNumber, pNumber);
  const goldExpr = parse(g);
  if (goldExpr === null) return null;
  if (p === g) return true;
  const predExpr = parse(p);
  if (predExpr === null) return false;
  try {
    if (predExpr.isSame(goldExpr) || predExpr.isEqual(goldExpr) === true) return true;
  } catch {
    // fall through to numeric comparison
  }
  const variables = [...new Set([...goldExpr.unknowns, ...predExpr.unknowns])].sort();
  const goldVars = [...goldExpr.unknowns].sort().join(",");
  const predVars = [...predExpr.unknowns].sort().join(",");
  if (goldVars !== predVars) return false;
  if (variables.length === 0) return close(numeric(predExpr), numeric(goldExpr));
  return sameAtSamplePoints(predExpr, goldExpr, variables);
}

/** Whether the gold answer can be parsed at all (plain number or valid expression). */
export function parsableGold(gold: string): boolean {
  const g = normalizeAnswer(gold);
  return plainNumber(g) !== null || parse(g) !== null;
}
