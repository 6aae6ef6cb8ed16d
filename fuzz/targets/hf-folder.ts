/**
 * Hugging Face model folders as `model: { hf: DIR }`, `r1ts generate --model DIR` and loadPretrained read
 * them: a real tiny Qwen2-style folder, written once by savePretrained in two layouts (one
 * model.safetensors, and shards with model.safetensors.index.json), with files deleted, bytes corrupted
 * (truncated shards, broken headers) and JSON fields set to awkward values (config.json, the index's
 * weight_map, generation_config.json, tokenizer.json, tokenizer_config.json with its chat template).
 *
 * Two targets read these folders: `hf-folder` loads the model (loadPretrained), `hf-tokenizer` loads the
 * tokenizer alone (loadTokenizer) and uses it: encode, decode and the chat template.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { TransformerLM, loadPretrained, loadTokenizer, savePretrained } from "@r1ts/core";
import { tinyHfTokenizer } from "@r1ts/core/testing";
import { applyJsonEdits, clip, expandDeep, jsonEdit, mutated } from "./arbitraries.ts";
import type { JsonEdit } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";

type Files = Record<string, Uint8Array>;

/** The files of a real tiny HF folder; `shardBytes` splits the weights into shards with an index. */
async function folderFiles(shardBytes?: number): Promise<Files> {
  const dir = await mkdtemp(path.join(tmpdir(), "r1ts-fuzz-hf-"));
  try {
    const tokenizer = tinyHfTokenizer();
    const model = new TransformerLM({
      vocabSize: tokenizer.vocabSize, dim: 8, interDim: 16, nLayers: 2, nHeads: 2, nKvHeads: 1, maxSeqLen: 64, attentionBias: true, tieEmbeddings: true, seed: 3,
    });
    await savePretrained(dir, { model, tokenizer, maxShardSize: shardBytes, generationConfig: { eos_token_id: [tokenizer.eosTokenId!], temperature: 0.7 } });
    model.dispose();
    const files: Files = {};
    for (const name of await readdir(dir)) files[name] = new Uint8Array(await readFile(path.join(dir, name)));
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const LAYOUTS: Files[] = [await folderFiles(), await folderFiles(4096)];
const isJson = (name: string) => name.endsWith(".json");

type FileEdit = { kind: "keep" | "delete" | "json" | "bytes"; edits: JsonEdit[]; bytes: Uint8Array };
interface FolderCase {
  layout: number;
  edits: Record<string, FileEdit>;
}

const fileEdit = (name: string, base: Uint8Array): fc.Arbitrary<FileEdit> =>
  fc.record({
    kind: fc.constantFrom<FileEdit["kind"]>(...(isJson(name) ? (["keep", "keep", "keep", "delete", "json", "json", "bytes"] as const) : (["keep", "keep", "keep", "keep", "delete", "bytes"] as const))),
    edits: fc.array(jsonEdit, { minLength: 1, maxLength: 3 }),
    bytes: mutated(fc.constant(base), 3),
  });

const folderCase: fc.Arbitrary<FolderCase> = fc.oneof(
  ...LAYOUTS.map((files, layout) =>
    fc.record({
      layout: fc.constant(layout),
      edits: fc.record(Object.fromEntries(Object.keys(files).sort().map((n) => [n, fileEdit(n, files[n])])) as Record<string, fc.Arbitrary<FileEdit>>),
    }),
  ),
);

function fileBytes(base: Uint8Array, edit: FileEdit): Uint8Array | undefined {
  if (edit.kind === "delete") return undefined;
  if (edit.kind === "bytes") return edit.bytes;
  if (edit.kind === "json") return new TextEncoder().encode(expandDeep(JSON.stringify(applyJsonEdits(JSON.parse(Buffer.from(base).toString("utf8")), edit.edits))));
  return base;
}

async function writeFolder(input: FolderCase, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const base = LAYOUTS[input.layout];
  for (const [name, edit] of Object.entries(input.edits)) {
    const bytes = fileBytes(base[name], edit);
    if (bytes !== undefined) await writeFile(path.join(dir, name), bytes);
  }
  return dir;
}

const preview = (input: FolderCase, max: number) =>
  clip(`${input.layout ? "sharded" : "single file"}; ` + Object.entries(input.edits).filter(([, e]) => e.kind !== "keep").map(([n, e]) => `${n}: ${e.kind}${e.kind === "json" ? ` ${JSON.stringify(e.edits)}` : ""}`).join("; "), max);

export const hfFolderTarget = defineTarget<FolderCase>({
  name: "hf-folder",
  description: "loadPretrained: a tiny HF folder (single file or sharded with an index) with files deleted, corrupted or with edited JSON fields",
  arbitrary: folderCase,
  write: (input, files) => writeFolder(input, files.path("model")),
  async read(dir) {
    const { model } = await loadPretrained(dir);
    model.dispose();
  },
  preview,
});

const CONVERSATION = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "What is 12+34?" },
];

export const hfTokenizerTarget = defineTarget<FolderCase>({
  name: "hf-tokenizer",
  description: "loadTokenizer: tokenizer.json / tokenizer_config.json (chat template) of a tiny HF folder, edited or corrupted, then encode, decode and the chat template",
  arbitrary: folderCase,
  write: (input, files) => writeFolder(input, files.path("model")),
  async read(dir) {
    const tokenizer = await loadTokenizer(dir);
    const ids = tokenizer.encode("12+34=46 <|im_end|>", { addSpecialTokens: true });
    tokenizer.decode(ids, { skipSpecialTokens: true });
    tokenizer.applyChatTemplate(CONVERSATION, { addGenerationPrompt: true });
  },
  preview,
});
