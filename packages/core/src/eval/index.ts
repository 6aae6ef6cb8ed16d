/** Held-out evaluation: settings (with the correctness reward named in config), the one report, pass@k, evaluators. */
export * from "./eval-settings.ts";
export * from "./evaluate.ts";
export * from "./eval-report.ts";
export * from "./pass-at-k.ts";
export * from "./sample-metrics.ts";
export * from "./evaluator.ts";
