/** Hugging Face model folders in and out: config mapping, weights, generation config, loadPretrained / savePretrained. */
export * from "./errors.ts";
export * from "./config.ts";
export { ropeFromHf, ropeToHf } from "./rope-scaling.ts";
export * from "./generation-config.ts";
export * from "./weights.ts";
export * from "./load-pretrained.ts";
export * from "./save-pretrained.ts";
export { pretrainedSourceOf, type PretrainedSource } from "./pretrained-source.ts";
export * from "./config-file.ts";
