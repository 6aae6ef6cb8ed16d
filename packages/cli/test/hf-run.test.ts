/**
 * `r1ts run` on a Hugging Face model folder, end to end: GRPO from a Parquet dataset folder of
 * conversational prompts (rendered with the model's chat template and a system prompt), the result saved
 * with savePretrained (HF names, config, tokenizer), loadable again; `r1ts eval` and SFT on HF folders.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SafetensorsFile, chatTokenizerOf, dataSchema, loadPretrained, loadTask } from "@r1ts/core";
import { conversationParquetSchema, writeTinyHfFolder } from "@r1ts/core/testing";
import { r1ts } from "./helpers.ts";

let root: string;
let modelDir: string;
let dataDir: string;

const QUESTIONS = [["What is 2+3?", "5"], ["What is 7+1?", "8"], ["What is 4+4?", "8"], ["What is 9+0?", "9"], ["What is 1+1?", "2"], ["What is 6+2?", "8"]];

async function conversationalParquet(file: string, rows: string[][]): Promise<void> {
  await mkdir(join(file, ".."), { recursive: true });
  const prompts = rows.map(([q]) => [{ role: "user", content: q }]);
  await writeFile(file, new Uint8Array(parquetWriteBuffer({
    columnData: [{ name: "prompt", data: prompts }, { name: "answer", data: rows.map(([, a]) => `Adding gives ${a}.\n#### ${a}`) }],
    schema: conversationParquetSchema("prompt", ["answer"]) as never,
  })));
}

async function tensorNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith(".safetensors"))) {
    const st = await SafetensorsFile.open(join(dir, f));
    names.push(...st.entries.keys());
    await st.close();
  }
  return names.sort();
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-hf-run-"));
  modelDir = join(root, "tiny-qwen2");
  await writeTinyHfFolder(modelDir, { seed: 3 });
  dataDir = join(root, "math-chat");
  await conversationalParquet(join(dataDir, "data", "train-00000-of-00001.parquet"), QUESTIONS.slice(0, 4));
  await conversationalParquet(join(dataDir, "data", "test-00000-of-00001.parquet"), QUESTIONS.slice(4));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("r1ts run on a Hugging Face model folder", () => {
  it("trains with GRPO from conversational Parquet prompts and saves the result as an HF folder", async () => {
    const runDir = join(root, "grpo-run");
    const config = {
      name: "hf-grpo", backend: "reference", runDir,
      model: { hf: modelDir },
      data: { train: dataDir, evalSplit: "test", systemPrompt: "Answer with the number.", answerFormat: "gsm8k" },
      trainer: "grpo",
      grpo: { steps: 2, promptsPerStep: 2, groupSize: 4, maxNewTokens: 6, lr: 0.01, checkpointEvery: 1 },
      // accuracy is 0 for an untrained model; a reward that varies between completions gives GRPO a signal.
      plugins: ["./digits.mjs"],
      rewards: ["accuracy", "digits"],
      eval: { problems: 2, temperature: 0, maxNewTokens: 6, correctness: "accuracy" },
    };
    const file = join(root, "hf-grpo.json");
    await writeFile(file, JSON.stringify(config));
    await writeFile(join(root, "digits.mjs"), `export default { name: "digits", version: "1.0.0", coreRange: "*", setup(api) {
      api.registerReward({ name: "digits", description: "the fraction of digits", options: { safeParse: (v) => ({ success: true, data: v }) }, defaultOptions: {},
        score: (b) => b.completions.map((c) => (c.length === 0 ? 0 : [...c].filter((ch) => ch >= "0" && ch <= "9").length / c.length)) });
    } };`);
    const { code, stdout, stderr } = await r1ts("run", file, "--json");
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.at(-1)!)).toMatchObject({ steps: 2, trainer: "grpo", heldOutProblems: 2 });

    // The samples log the questions; the model saw them through its chat template with the system prompt
    // (conversational rows cannot run without a template: the run would have failed).
    const samples = (await readFile(join(runDir, "samples.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(QUESTIONS.map(([q]) => q)).toContain(samples[0].prompt);
    const task = (await loadTask({ data: dataSchema.parse(config.data) }, root, { formatter: () => chatTokenizerOf(modelDir) }))!;
    expect(task.heldOut(1)[0]).toMatchObject({
      prompt: "<|im_start|>system\nAnswer with the number.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n", answer: "2",
    });

    // The trained model is an HF folder: same tensor names as the source, HF config, tokenizer files, new weights.
    const out = join(runDir, "model");
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"]) expect(existsSync(join(out, f)), f).toBe(true);
    expect(await tensorNames(out)).toEqual(await tensorNames(modelDir));
    const trained = await loadPretrained(out);
    const source = await loadPretrained(modelDir);
    expect(trained.config.model_type).toBe("qwen2");
    expect(trained.tokenizer!.chatTemplate()).toBe(source.tokenizer!.chatTemplate());
    const w = "model.layers.0.self_attn.q_proj.weight";
    expect(Array.from(trained.model.namedParameters().get(w)!.dataSync())).not.toEqual(Array.from(source.model.namedParameters().get(w)!.dataSync()));
    trained.model.dispose();
    source.model.dispose();

    // Checkpoints stay r1ts bundles that keep the HF tokenizer: generate reads one with its chat template,
    // and --resume continues the run.
    const checkpoint = join(runDir, "checkpoints", "step-000002");
    const generated = await r1ts("generate", "What is 2+2?", "--model", checkpoint, "--max-new-tokens", "2", "--backend", "reference", "--json");
    expect(generated.code, generated.stderr).toBe(0);
    expect(JSON.parse(generated.stdout[0]).prompt).toBe("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n");
    await writeFile(file, JSON.stringify({ ...config, grpo: { ...config.grpo, steps: 3 } }));
    const resumed = await r1ts("run", file, "--resume", runDir, "--json");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout.at(-1)!)).toMatchObject({ steps: 3 });

    // r1ts eval reads the trained HF folder, with the run config's data (chat prompts from its template).
    const evaluated = await r1ts("eval", "--model", out, "--config", file, "--held-out", "2", "--backend", "reference", "--json");
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout.at(-1)!)).toMatchObject({ problems: 2 });
  }, 120_000);

  it("SFT with chat prompts (from a JSONL file or an HF dataset folder) saves an HF folder too; model: { hf } must name an HF folder", async () => {
    const sftData = join(root, "sft.jsonl");
    await writeFile(sftData, ["1+1", "2+2", "3+3"].map((q, i) => JSON.stringify({ prompt: q, completion: String(2 * (i + 1)) })).join("\n") + "\n");
    const runDir = join(root, "sft-run");
    const config = {
      name: "hf-sft", backend: "reference", runDir, model: { hf: modelDir },
      data: { train: sftData, promptFormat: "chat" }, trainer: "sft",
      sft: { steps: 2, batchSize: 2, lr: 0.01 }, eval: { problems: 0 },
    };
    const file = join(root, "hf-sft.json");
    await writeFile(file, JSON.stringify(config));
    const { code, stderr } = await r1ts("run", file, "--json");
    expect(code, stderr).toBe(0);
    const trained = await loadPretrained(join(runDir, "model"));
    const source = await loadPretrained(modelDir);
    expect(trained.modelType).toBe("qwen2");
    const w = "model.layers.1.mlp.down_proj.weight";
    expect(Array.from(trained.model.namedParameters().get(w)!.dataSync())).not.toEqual(Array.from(source.model.namedParameters().get(w)!.dataSync()));
    trained.model.dispose();
    source.model.dispose();

    // The same run from a Hugging Face dataset folder: the train split trains, the test split is held out.
    const sftFolder = join(root, "sft-folder");
    await mkdir(join(sftFolder, "data"), { recursive: true });
    const sftRows = (qs: string[][]) => ({ columnData: [{ name: "prompt", data: qs.map(([q]) => q) }, { name: "completion", data: qs.map(([, a]) => a) }] });
    await writeFile(join(sftFolder, "data", "train-00000-of-00001.parquet"), new Uint8Array(parquetWriteBuffer(sftRows(QUESTIONS.slice(0, 4)))));
    await writeFile(join(sftFolder, "data", "test-00000-of-00001.parquet"), new Uint8Array(parquetWriteBuffer(sftRows(QUESTIONS.slice(4)))));
    const folderRun = join(root, "sft-folder-run");
    const folderConfig = join(root, "hf-sft-folder.json");
    await writeFile(folderConfig, JSON.stringify({ ...config, runDir: folderRun, data: { train: sftFolder, evalSplit: "test", promptFormat: "chat" } }));
    const fromFolder = await r1ts("run", folderConfig, "--json");
    expect(fromFolder.code, fromFolder.stderr).toBe(0);
    const stage = JSON.parse(await readFile(join(folderRun, "stage.json"), "utf8"));
    expect(stage.metrics.rows).toBe(4);
    expect(Number.isFinite(stage.metrics.evalLossBefore)).toBe(true);
    expect(stage.metrics.evalLossAfter).not.toBe(stage.metrics.evalLossBefore);
    const noSplit = join(root, "hf-sft-nosplit.json");
    await writeFile(noSplit, JSON.stringify({ ...config, runDir: join(root, "sft-nosplit-run"), data: { train: sftFolder, split: "validation" } }));
    const missing = await r1ts("run", noSplit);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/validation/);
    expect(missing.stderr).toMatch(/train/);

    const wrong = join(root, "wrong.json");
    await writeFile(wrong, JSON.stringify({ ...config, runDir: join(root, "wrong-run"), model: { hf: "builtin:base-arithmetic" } }));
    const bad = await r1ts("run", wrong);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a Hugging Face model folder \(its config\.json must have a model_type\)/);
  }, 120_000);
});
