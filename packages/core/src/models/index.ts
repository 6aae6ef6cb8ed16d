/** Model presets and parameter counting from a config. */
export * from "./presets.ts";
export * from "./parameter-count.ts";
export * from "./load-model.ts";
