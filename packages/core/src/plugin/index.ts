/** Plugins: definePlugin, loading by name, the run's container and composition root. */
export { z } from "zod";
export * from "./errors.ts";
export * from "./core-version.ts";
export * from "./contributions.ts";
export * from "./tokens.ts";
export * from "./define-plugin.ts";
export type { PluginApi } from "./plugin-api.ts";
export * from "./plugin-names.ts";
export { loadPluginByName, resolvePluginModule } from "./load-plugin.ts";
export type { LoadedModule } from "./load-plugin.ts";
export * from "./config-schema.ts";
export * from "./run-context.ts";
export * from "./run-parts.ts";
