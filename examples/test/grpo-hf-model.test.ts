/**
 * examples/grpo-hf-model.yaml: the config parses as written; shrunk to seconds and pointed at a tiny
 * Qwen2-style folder and a GSM8K-shaped dataset folder (main/train + main/test Parquet), it runs GRPO
 * end to end and writes the trained model as a Hugging Face folder.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadPretrained, loadRunConfig, parseRunConfig, runJob } from "@r1ts/core";
import { writeTinyHfFolder } from "@r1ts/core/testing";
import { r1Rewards } from "@r1ts/rewards";

const EXAMPLE = new URL("../grpo-hf-model.yaml", import.meta.url).pathname;
const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function gsm8kSplit(file: string, rows: [string, number][]): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  const columnData = [
    { name: "question", data: rows.map(([q]) => q), type: "STRING" as const },
    { name: "answer", data: rows.map(([, a]) => `We compute it: <<${a}>>${a}.\n#### ${a}`), type: "STRING" as const },
  ];
  await writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData })));
}

describe("examples/grpo-hf-model.yaml", () => {
  it("parses as written", async () => {
    const config = await loadRunConfig(EXAMPLE);
    expect(config.model).toEqual({ hf: "../models/qwen2.5-0.5b-instruct" });
    expect(config.data).toMatchObject({ subset: "main", evalSplit: "test", promptFormat: "chat", answerFormat: "gsm8k" });
  });

  it("runs GRPO on a tiny HF folder and a GSM8K-shaped dataset, saving an HF folder", async () => {
    const root = await mkdtemp(join(tmpdir(), "r1ts-grpo-hf-"));
    roots.push(root);
    await writeTinyHfFolder(join(root, "models", "tiny"), { seed: 2 });
    await gsm8kSplit(join(root, "data", "gsm8k", "main", "train-00000-of-00001.parquet"), [["Ann has 2 apples and buys 3. How many?", 5], ["What is 10 - 4?", 6], ["Double 7.", 14]]);
    await gsm8kSplit(join(root, "data", "gsm8k", "main", "test-00000-of-00001.parquet"), [["What is 3 + 3?", 6], ["What is 2 * 5?", 10]]);
    const example = parse(await readFile(EXAMPLE, "utf8"));
    const runDir = join(root, "run");
    const config = parseRunConfig({
      ...example,
      backend: "reference",
      runDir,
      model: { hf: "models/tiny" },
      data: { ...example.data, train: "data/gsm8k" },
      grpo: { ...example.grpo, steps: 2, promptsPerStep: 2, groupSize: 2, maxNewTokens: 4, beta: 0.04, checkpointEvery: 1 },
      eval: { ...example.eval, problems: 2, maxNewTokens: 4 },
    }, "the example, shrunk");
    const summary = await runJob(config, { builtins: [r1Rewards], baseDir: root });
    expect(summary).toMatchObject({ steps: 2, trainer: "grpo", heldOutProblems: 2 });
    expect(existsSync(join(runDir, "model", "model.safetensors"))).toBe(true);
    const trained = await loadPretrained(join(runDir, "model"));
    expect(trained.modelType).toBe("qwen2");
    expect(trained.tokenizer!.applyChatTemplate([{ role: "user", content: "hi" }], { addGenerationPrompt: true })).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
    trained.model.dispose();
  }, 120_000);
});
