/** Model presets and parameter counting from a config. */
export * from "./presets.ts";
export * from "./parameter-count.ts";
export * from "./hf-config.ts";
export * from "./hf-config-file.ts";
