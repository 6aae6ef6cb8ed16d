import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loraAdapter } from "../lora-adapter.ts";

describe("examples/lora-adapter", () => {
  it("trains the adapters only, saves a PEFT folder that reloads exactly and merges to the same logits", async () => {
    const out = await loraAdapter();
    expect(out.lossAfter).toBeLessThan(out.lossBefore * 0.7);
    expect(out.trainable).toBeLessThan(out.total * 0.2);
    expect(out.reloadedMatches).toBe(true);
    expect(out.mergedMaxDiff).toBeLessThan(1e-4);
    expect((await readdir(out.adapterDir)).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
  });
});
