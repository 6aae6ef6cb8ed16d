import { describe, expect, it } from "vitest";
import { hfModel } from "../hf-model.ts";

describe("examples/hf-model", () => {
  it("loads a tiny HF folder, chats through its template, saves bf16 and reloads", async () => {
    const out = await hfModel();
    expect(out.modelType).toBe("qwen2");
    expect(out.prompt).toBe("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n");
    expect(out.completion.length).toBeGreaterThan(0);
    expect(out.savedFiles).toEqual(["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]);
    expect(typeof out.reloadedCompletion).toBe("string");
  }, 60_000);
});
