/** Runs: model bundles, run directories, metrics logs, summaries and the HTML report. */
export * from "./model-bundle.ts";
export * from "./run-directory.ts";
export * from "./report.ts";
export * from "./run-job.ts";
export { chatTokenizerOf, hfBundleConfig, loadHfBundle } from "./hf-bundle.ts";
