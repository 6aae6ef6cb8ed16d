/**
 * Writes examples/data/arithmetic.txt: lines like `12+7=19`, operands drawn uniformly from 0..99 by a
 * seeded generator, so the file is the same on every machine. Regenerate with
 *   npx -y pnpm@12.4.2 exec tsx examples/data/generate-arithmetic.ts [lines] [seed]
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Generator } from "@r1ts/core";

export function arithmeticLines(count: number, seed = 0): string[] {
  const rng = new Generator(seed);
  return Array.from({ length: count }, () => {
    const a = rng.int(100);
    const b = rng.int(100);
    return `${a}+${b}=${a + b}`;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 600);
  const seed = Number(process.argv[3] ?? 0);
  const path = fileURLToPath(new URL("./arithmetic.txt", import.meta.url));
  writeFileSync(path, arithmeticLines(count, seed).join("\n") + "\n");
  console.log(`wrote ${count} lines to ${path}`);
}
