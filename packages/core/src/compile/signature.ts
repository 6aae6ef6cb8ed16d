/**
 * Arguments and results of compiled functions: tensors anywhere inside arrays and plain objects, the
 * rest static. A signature is the structure with every tensor replaced by its shape and dtype, so two
 * calls share a graph exactly when their tensors agree in shape and dtype and their static values match.
 */
import { formatShape } from "../tensor/shape.ts";
import { Tensor } from "../tensor/tensor.ts";
import { CaptureError } from "./errors.ts";

/** A structure of tensors: the tensors in order, and a way to put other tensors in their places. */
export interface Flattened<T> {
  tensors: Tensor[];
  /** Tensors replaced by `T[shape]dtype`, statics by their JSON. */
  signature: string;
  rebuild(tensors: readonly Tensor[]): T;
}

export function flatten<T>(value: T, what: string): Flattened<T> {
  const tensors: Tensor[] = [];
  const parts: string[] = [];
  const template = walk(value, tensors, parts, what, 0);
  return {
    tensors,
    signature: parts.join(""),
    rebuild: (replacements) => fill(template, replacements) as T,
  };
}

type Template = { tensor: number } | { array: Template[] } | { object: [string, Template][] } | { static: unknown };

function walk(value: unknown, tensors: Tensor[], parts: string[], what: string, depth: number): Template {
  if (depth > 16) throw new CaptureError(`compile: ${what} nests deeper than 16 levels`);
  if (value instanceof Tensor) {
    parts.push(`T${formatShape(value.shape)}${value.dtype};`);
    tensors.push(value);
    return { tensor: tensors.length - 1 };
  }
  if (Array.isArray(value)) {
    parts.push("[");
    const array = value.map((v) => walk(v, tensors, parts, what, depth + 1));
    parts.push("]");
    return { array };
  }
  if (value !== null && typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new CaptureError(`compile: ${what} holds a ${proto?.constructor?.name ?? "non-plain"} object; pass tensors, numbers, strings, booleans, and arrays or plain objects of them`);
    }
    parts.push("{");
    const object = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      parts.push(`${JSON.stringify(k)}:`);
      return [k, walk(v, tensors, parts, what, depth + 1)] as [string, Template];
    });
    parts.push("}");
    return { object };
  }
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
    throw new CaptureError(`compile: ${what} holds a ${typeof value}; only tensors and plain data can be passed`);
  }
  parts.push(`${value === undefined ? "undefined" : JSON.stringify(value)};`);
  return { static: value };
}

function fill(t: Template, tensors: readonly Tensor[]): unknown {
  if ("tensor" in t) return tensors[t.tensor];
  if ("array" in t) return t.array.map((x) => fill(x, tensors));
  if ("object" in t) return Object.fromEntries(t.object.map(([k, x]) => [k, fill(x, tensors)]));
  return t.static;
}
