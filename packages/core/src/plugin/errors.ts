/** Plugin errors: each names the plugin (as listed, and where it resolved to) and what to do. */
import { R1tsError } from "../errors.ts";

export class PluginError extends R1tsError {}

/** A plugin name or path that resolves to nothing; lists every name that was tried. */
export class PluginNotFoundError extends PluginError {
  readonly tried: readonly string[];
  constructor(message: string, tried: readonly string[]) {
    super(message);
    this.tried = tried;
  }
}

/** A module that loaded but does not export a plugin, or failed while loading. */
export class PluginLoadError extends PluginError {}

/** A plugin whose `coreRange` excludes the running @r1ts/core. */
export class PluginVersionError extends PluginError {}

/** Plugin options that fail the plugin's schema. */
export class PluginOptionsError extends PluginError {}

/** A plugin whose definition is malformed, whose setup threw, or that registers a name twice. */
export class PluginSetupError extends PluginError {}
