/** Run configs: the zod schema, YAML/JSON loading, defineConfig. */
export * from "./run-config-schema.ts";
export * from "./load-config.ts";
export * from "./run-as-pipeline.ts";
export * from "./model-source.ts";
