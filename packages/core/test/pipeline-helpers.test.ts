/** The pipeline's small pieces: pass@k, fingerprints, task-data completions, and the shortened (--quick) config. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  R1tsError, arithmeticTask, canonicalJson, countdownTask, hashJson, hashPath, meanPassAtK, parsePipelineConfig, passAtK, shortenPipeline,
  styledCompletion, type ArithmeticProblem,
} from "../src/index.ts";

/** C(n, k) by the product formula, for checking the estimator directly. */
const choose = (n: number, k: number): number => {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
};

describe("pass@k", () => {
  it("is 1 - C(n-c, k) / C(n, k)", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 12);
    expect(passAtK(5, 0, 3)).toBe(0);
    expect(passAtK(5, 5, 1)).toBe(1);
    expect(passAtK(4, 2, 3)).toBe(1); // fewer than k wrong samples: some k-subset is always right
    for (let n = 1; n <= 12; n++) for (let c = 0; c <= n; c++) for (let k = 1; k <= n; k++) {
      expect(passAtK(n, c, k)).toBeCloseTo(1 - choose(n - c, k) / choose(n, k), 10);
    }
    // Large n does not overflow.
    expect(passAtK(2000, 1000, 1)).toBeCloseTo(0.5, 12);
    expect(meanPassAtK([[4, 1], [4, 3]], 1)).toBeCloseTo(0.5, 12);
    expect(Number.isNaN(meanPassAtK([], 1))).toBe(true);
    expect(() => passAtK(3, 4, 1)).toThrow(R1tsError);
    expect(() => passAtK(3, 1, 4)).toThrow(/1 <= k <= n/);
  });
});

describe("fingerprints", () => {
  it("hash canonical JSON (key order does not matter) and file or directory contents", async () => {
    expect(canonicalJson({ b: 1, a: { d: [1, undefined], c: Number.NaN }, e: undefined })).toBe('{"a":{"c":"NaN","d":[1,null]},"b":1}');
    expect(hashJson({ a: 1, b: 2 })).toBe(hashJson({ b: 2, a: 1 }));
    expect(hashJson({ a: 1 })).not.toBe(hashJson({ a: 2 }));
    const dir = await mkdtemp(join(tmpdir(), "r1ts-fp-"));
    await mkdir(join(dir, "m", "sub"), { recursive: true });
    await writeFile(join(dir, "m", "a.json"), "1");
    await writeFile(join(dir, "m", "sub", "b.bin"), "2");
    const h = await hashPath(join(dir, "m"));
    await writeFile(join(dir, "m", ".a.json.tmp-1-ab"), "leftover of an atomic write");
    expect(await hashPath(join(dir, "m"))).toBe(h);
    await writeFile(join(dir, "m", "sub", "b.bin"), "3");
    expect(await hashPath(join(dir, "m"))).not.toBe(h);
    expect(await hashPath(join(dir, "m", "a.json"))).toBe("6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"); // sha256("1")
    await rm(dir, { recursive: true, force: true });
  });
});

describe("task-data completions", () => {
  const task = arithmeticTask({ minDigits: 2, maxDigits: 2 });
  const p = { ...task.heldOut(1)[0], a: 47, b: 85, op: "+" as const, question: "47+85", answer: "132" } as ArithmeticProblem;

  it("writes each style of 47+85", () => {
    expect(styledCompletion(task, p, "worked")).toBe("<think>\n7+5=12\n4+8+1=13\n</think>\n<answer>\n132\n</answer>");
    expect(styledCompletion(task, p, "readable")).toBe("<think>\n7+5=12, carry 1\n4+8+1=13, carry 1\nThe answer is 132.\n</think>\n<answer>\n132\n</answer>");
    expect(styledCompletion(task, p, "direct")).toBe("<think>\nI add the numbers.\n</think>\n<answer>\n132\n</answer>");
    expect(styledCompletion(task, p, "plain")).toBe(" The answer is 132.");
  });

  it("answers Countdown with the equation", () => {
    const cd = countdownTask({ minNumbers: 3, maxNumbers: 3 });
    const q = cd.heldOut(1)[0];
    const solution = q.columns.solution as string;
    expect(styledCompletion(cd, q, "worked")).toBe(`<think>\n${solution} = ${q.answer}\n</think>\n<answer>\n${solution}\n</answer>`);
  });
});

describe("shortenPipeline", () => {
  it("caps every length of every stage, nested options too, and turns rejection sampling's thresholds and filters off", () => {
    const config = parsePipelineConfig({
      model: { bundle: "x" },
      eval: { problems: 500, samplesPerProblem: 8, passK: [1, 8] },
      stages: [
        { id: "a", stage: "grpo", options: { steps: 100, promptsPerStep: 32, groupSize: 16, maxNewTokens: 64, lr: 1e-3 } },
        { id: "b", stage: "sft", options: { epochs: 2, batchSize: 16, lr: 1e-3 }, eval: { problems: 300 } },
        { id: "c", stage: "distill", options: { sampling: { prompts: 500, samplesPerPrompt: 8, thresholds: { accuracy: 1 } }, training: { epochs: 2, batchSize: 16, lr: 1e-3 } } },
        { id: "d", stage: "task-data", options: { count: 5000 } },
      ],
    });
    const short = shortenPipeline(config);
    expect(short.eval).toMatchObject({ problems: 16, samplesPerProblem: 4, passK: [1] });
    expect(short.stages[0].options).toEqual({ steps: 2, promptsPerStep: 4, groupSize: 4, maxNewTokens: 64, lr: 1e-3 });
    expect(short.stages[1].options).toEqual({ steps: 2, batchSize: 8, lr: 1e-3 });
    expect(short.stages[1].eval).toEqual({ problems: 16 });
    expect(short.stages[2].options).toEqual({
      sampling: { prompts: 8, samplesPerPrompt: 4, thresholds: {}, filters: { format: false, language: false, repetition: false }, dropTruncated: false },
      training: { steps: 2, batchSize: 8, lr: 1e-3 },
    });
    expect(short.stages[3].options).toEqual({ count: 64 });
    expect(shortenPipeline(config, { keepAll: false }).stages[2].options.sampling).toMatchObject({ thresholds: { accuracy: 1 } });
    expect(config.stages[0].options.steps).toBe(100); // the original is left alone
  });
});
