/** `r1ts generate` and `r1ts inspect` on Hugging Face model folders. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countParameters, generate, loadPretrained, setBackend, transformerConfig } from "@r1ts/core";
import { writeTinyHfFolder } from "@r1ts/core/testing";
import { r1ts } from "./helpers.ts";

let root: string;
let dir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-cli-hf-"));
  dir = join(root, "tiny-qwen2");
  await writeTinyHfFolder(dir, { seed: 7 });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("r1ts generate --model <HF folder>", () => {
  it("puts the question into the chat template and completes it as generate() does", async () => {
    const { code, stdout } = await r1ts("generate", "What is 2+2?", "--model", dir, "--max-new-tokens", "6", "--backend", "reference", "--json");
    expect(code).toBe(0);
    const row = JSON.parse(stdout[0]);
    expect(row.prompt).toBe("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n");
    await setBackend("reference");
    const { model, tokenizer, generationConfig } = await loadPretrained(dir);
    const out = await generate(model, [tokenizer!.encode(row.prompt, { addSpecialTokens: false })], { maxNewTokens: 6, temperature: 0, eosTokenId: generationConfig!.eosTokenIds, tokenizer: tokenizer! });
    expect(row.completion).toBe(out.texts![0]);
    expect(row.tokens).toBe(out.completionLengths[0]);
    model.dispose();
  }, 60_000);

  it("--system adds a system turn; --format r1-zero and --raw bypass the template", async () => {
    const sys = JSON.parse((await r1ts("generate", "Hi", "--model", dir, "--system", "Be brief.", "--max-new-tokens", "2", "--backend", "reference", "--json")).stdout[0]);
    expect(sys.prompt.startsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi")).toBe(true);
    const zero = JSON.parse((await r1ts("generate", "Hi", "--model", dir, "--format", "r1-zero", "--max-new-tokens", "2", "--backend", "reference", "--json")).stdout[0]);
    expect(zero.prompt.endsWith("User: Hi. Assistant:")).toBe(true);
    const raw = JSON.parse((await r1ts("generate", "Hi", "--model", dir, "--raw", "--max-new-tokens", "2", "--backend", "reference", "--json")).stdout[0]);
    expect(raw.prompt).toBe("Hi");
    const bad = await r1ts("generate", "Hi", "--model", dir, "--format", "yaml");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be chat, r1-zero or raw, got yaml/);
  }, 60_000);
});

describe("r1ts inspect --model <HF folder>", () => {
  it("reads the folder's config.json", async () => {
    const { code, stdout } = await r1ts("inspect", "--model", dir, "--json");
    expect(code).toBe(0);
    const out = JSON.parse(stdout.at(-1)!);
    const { model } = await loadPretrained(dir);
    expect(out.params).toBe(model.numParameters());
    expect(out.params).toBe(countParameters(transformerConfig(model.config)).params);
    expect(out.config).toMatchObject({ attentionBias: true, tieEmbeddings: true, nKvHeads: 2 });
    model.dispose();
  });
});
