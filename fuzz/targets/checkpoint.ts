/**
 * Checkpoint folders as `r1ts run --resume`, `r1ts generate --model` and every stage read them
 * (loadModelBundle: weights, config.json with the model config and tokenizer, optimizer state, trainer
 * state): a real bundle of a tiny model with files deleted, bytes corrupted, JSON fields set to awkward
 * values (model sizes included: a config must not make the loader allocate a model the weights do not
 * back), and optimizer metadata that is not JSON.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { TransformerLM, loadModelBundle, saveCheckpoint, saveModelBundle, trainBpe } from "@r1ts/core";
import { applyJsonEdits, clip, expandDeep, jsonEdit, mutated } from "./arbitraries.ts";
import type { JsonEdit } from "./arbitraries.ts";
import { defineTarget } from "../harness/target.ts";

/** The files of a real bundle (with optimizer and trainer state), made once. */
async function bundleFiles(): Promise<Record<string, Uint8Array>> {
  const dir = await mkdtemp(path.join(tmpdir(), "r1ts-fuzz-bundle-"));
  try {
    const tokenizer = trainBpe(["12+34=46<eos>", "<think>7+8</think><answer>15</answer><eos>"], { vocabSize: 40, specialTokens: ["<eos>"] });
    const model = new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 8, nLayers: 1, nHeads: 2, interDim: 16, maxSeqLen: 16, seed: 1 });
    await saveModelBundle(dir, model, tokenizer, "<eos>", { task: { name: "arithmetic" } });
    const weights = await model.stateDict();
    model.dispose();
    const config = JSON.parse(await readFile(path.join(dir, "config.json"), "utf8"));
    const first = Object.keys(weights)[0];
    await saveCheckpoint(dir, {
      weights,
      config,
      optimizer: { tensors: { [`exp_avg.${first}`]: weights[first] }, state: { step: 3, lr: 0.001 } },
      trainerState: { step: 3, trainer: "grpo", rng: [1, 2, 3, 4] },
    });
    const files: Record<string, Uint8Array> = {};
    for (const name of await readdir(dir)) files[name] = new Uint8Array(await readFile(path.join(dir, name)));
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const BASE = await bundleFiles();
const JSON_FILES = ["config.json", "trainer_state.json"];
const NAMES = Object.keys(BASE).sort();

type FileEdit = { kind: "keep" | "delete" | "json" | "bytes"; edits: JsonEdit[]; bytes: Uint8Array };
type CheckpointCase = Record<string, FileEdit>;

const fileEdit = (name: string): fc.Arbitrary<FileEdit> =>
  fc.record({
    kind: fc.constantFrom<FileEdit["kind"]>(...(JSON_FILES.includes(name) ? (["keep", "keep", "delete", "json", "json", "bytes"] as const) : (["keep", "keep", "keep", "delete", "bytes"] as const))),
    edits: fc.array(jsonEdit, { minLength: 1, maxLength: 3 }),
    bytes: mutated(fc.constant(BASE[name]), 3),
  });

const checkpointCase: fc.Arbitrary<CheckpointCase> = fc.record(Object.fromEntries(NAMES.map((n) => [n, fileEdit(n)])) as Record<string, fc.Arbitrary<FileEdit>>);

function fileBytes(name: string, edit: FileEdit): Uint8Array | undefined {
  if (edit.kind === "delete") return undefined;
  if (edit.kind === "bytes") return edit.bytes;
  if (edit.kind === "json") return new TextEncoder().encode(expandDeep(JSON.stringify(applyJsonEdits(JSON.parse(Buffer.from(BASE[name]).toString("utf8")), edit.edits))));
  return BASE[name];
}

export const checkpointTarget = defineTarget<CheckpointCase>({
  name: "checkpoint",
  description: "loadModelBundle: a real checkpoint folder with files deleted, corrupted or with edited JSON fields",
  arbitrary: checkpointCase,
  async write(input, files) {
    const dir = files.path("step-000003");
    await mkdir(dir, { recursive: true });
    for (const name of NAMES) {
      const bytes = fileBytes(name, input[name]);
      if (bytes !== undefined) await writeFile(path.join(dir, name), bytes);
    }
    return dir;
  },
  async read(dir) {
    const bundle = await loadModelBundle(dir);
    bundle.model.dispose();
  },
  preview: (input, max) => clip(NAMES.map((n) => `${n}: ${input[n].kind}${input[n].kind === "json" ? ` ${JSON.stringify(input[n].edits)}` : ""}`).join("; "), max),
});
