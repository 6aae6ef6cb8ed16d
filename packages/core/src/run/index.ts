/** Runs: model bundles, run directories, metrics logs, summaries and the HTML report. */
export * from "./model-bundle.ts";
