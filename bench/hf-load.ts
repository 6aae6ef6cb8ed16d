/**
 * Load time and peak memory of loadPretrained on a Qwen2.5-0.5B-shaped Hugging Face folder (random BF16
 * weights, sharded with an index; built once under --dir), each measured in a fresh child process:
 *   - read:   reading every shard's bytes from disk (the baseline)
 *   - alloc:  allocating the f32 model without weights (the memory baseline: one copy of the model)
 *   - load:   loadPretrained (headers, then tensor by tensor: read, BF16 -> f32, assign)
 * Prints one JSON line per measurement and the ratios load / read (time) and load / alloc (peak RSS).
 *
 *   flock /tmp/r1ts-cpu.lock pnpm exec tsx bench/hf-load.ts [--dir /tmp/r1ts-hf-bench] [--shard-mb 400]
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type HostTensor, TransformerLM, engine, loadPretrained, mapHfConfig, serializeSafetensors, tidy } from "@r1ts/core";

const QWEN25_05B = {
  architectures: ["Qwen2ForCausalLM"], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151643, hidden_act: "silu", hidden_size: 896,
  initializer_range: 0.02, intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 24, model_type: "qwen2", num_attention_heads: 14,
  num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true,
  torch_dtype: "bfloat16", transformers_version: "4.40.1", use_cache: true, use_sliding_window: false, vocab_size: 151936,
};

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const root = flag("dir", "/tmp/r1ts-hf-bench");
const dir = join(root, "qwen2.5-0.5b-random");

if (args[0] === "--child") {
  await child(args[1], args[2]);
} else {
  await main();
}

async function main(): Promise<void> {
  if (!existsSync(join(dir, "model.safetensors.index.json"))) await build(Number(flag("shard-mb", "400")) * 1e6);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".safetensors"));
  const run = (what: string) => JSON.parse(execFileSync(process.execPath, ["--import", "tsx", import.meta.filename, "--child", what, dir], { encoding: "utf8" }).trim().split("\n").at(-1)!);
  const read = run("read");
  const alloc = run("alloc");
  const load = run("load");
  for (const r of [read, alloc, load]) console.log(JSON.stringify({ bench: "hf-load", ...r }));
  console.log(JSON.stringify({
    bench: "hf-load", summary: true, folder: dir, shards: files.length, fileBytes: read.bytes, params: load.params,
    loadSeconds: load.loadOnlySeconds, loadOverRead: +(load.loadOnlySeconds / read.seconds).toFixed(2),
    peakRssMiB: load.maxRssMiB, peakOverModel: +(load.maxRssMiB / alloc.maxRssMiB).toFixed(2), modelF32MiB: +(load.params * 4 / 2 ** 20).toFixed(0),
  }));
}

/** Random BF16 weights in the tensor layout of the HF config, sharded by size, with the index. */
async function build(maxShard: number): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const mapped = mapHfConfig(QWEN25_05B);
  // Names and shapes from a one-layer model (allocated empty), repeated for every layer.
  const probe = new TransformerLM({ ...mapped.config, nLayers: 1, maxSeqLen: 8 }, { empty: true });
  const shapes: [string, number[]][] = [];
  const perLayer = [...probe.namedParameters()].filter(([n]) => n.startsWith("model.layers.0."));
  for (const [name, v] of probe.namedParameters()) {
    if (name.startsWith("model.layers.0.")) continue;
    if (name === "model.norm.weight") {
      for (let l = 0; l < QWEN25_05B.num_hidden_layers; l++) for (const [n, p] of perLayer) shapes.push([n.replace("model.layers.0.", `model.layers.${l}.`), [...p.shape]]);
    }
    shapes.push([name, [...v.shape]]);
  }
  probe.dispose();
  let state = 0x9e3779b9;
  const random = (n: number, std: number): Uint16Array => {
    const out = new Uint16Array(n);
    const f = new Float32Array(1);
    const bits = new Uint32Array(f.buffer);
    for (let i = 0; i < n; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      f[0] = ((state >>> 0) / 4294967296 - 0.5) * 3.46 * std; // uniform with the given std
      out[i] = (bits[0] + 0x7fff + ((bits[0] >>> 16) & 1)) >>> 16;
    }
    return out;
  };
  const shards: [string, number[]][][] = [[]];
  let bytes = 0;
  for (const entry of shapes) {
    const size = entry[1].reduce((a, d) => a * d, 1) * 2;
    if (bytes + size > maxShard && shards.at(-1)!.length > 0) {
      shards.push([]);
      bytes = 0;
    }
    shards.at(-1)!.push(entry);
    bytes += size;
  }
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let i = 0; i < shards.length; i++) {
    const file = `model-${String(i + 1).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`;
    const tensors: Record<string, HostTensor> = {};
    for (const [name, shape] of shards[i]) {
      const n = shape.reduce((a, d) => a * d, 1);
      tensors[name] = { dtype: "bf16", shape, data: name.endsWith("norm.weight") ? new Uint16Array(n).fill(0x3f80) : random(n, 0.02) };
      weightMap[name] = file;
      total += n * 2;
    }
    await writeFile(join(dir, file), serializeSafetensors(tensors, { format: "pt" }));
  }
  await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }));
  await writeFile(join(dir, "config.json"), JSON.stringify(QWEN25_05B, null, 2));
}

async function child(what: string, folder: string): Promise<void> {
  const t0 = performance.now();
  let extra: Record<string, unknown> = {};
  if (what === "read") {
    let bytes = 0;
    for (const f of (await readdir(folder)).filter((n) => n.endsWith(".safetensors")).sort()) bytes += (await readFile(join(folder, f))).byteLength;
    extra = { bytes };
  } else if (what === "alloc") {
    const model = new TransformerLM(mapHfConfig(QWEN25_05B).config, { empty: true });
    extra = { params: model.numParameters() };
  } else {
    const { model, weights } = await loadPretrained(folder, { tokenizer: false });
    const seconds = (performance.now() - t0) / 1000;
    const logits = tidy(() => model.forward(engine.makeTensor(Int32Array.from([9707, 1879]), [1, 2], "i32")).dataSync());
    extra = { params: model.numParameters(), tensors: weights.loaded, finiteLogits: logits.every(Number.isFinite), loadOnlySeconds: +seconds.toFixed(2) };
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ measure: what, seconds: +seconds.toFixed(2), maxRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(0), ...extra }));
}
