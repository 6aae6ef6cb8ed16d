/** LoRA: adapters on chosen Linear layers, PEFT's folder format, merging for export. */
export * from "./lora-config.ts";
export * from "./lora-adapter.ts";
export * from "./lora-model.ts";
export * from "./peft-adapter-io.ts";
