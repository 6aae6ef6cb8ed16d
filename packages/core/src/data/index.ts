/** Data: tokenizers (BPE with HF tokenizer.json, HF tokenizers), chat templates, datasets. The char tokenizer is exported by the package index. */
export * from "./bpe-tokenizer.ts";
export * from "./bpe-train.ts";
export * from "./jsonl-dataset.ts";
export * from "./parquet-dataset.ts";
export * from "./tokenizer.ts";
export * from "./tokenizer-spec.ts";
export * from "./tokenizer-file.ts";
export * from "./hf-tokenizer.ts";
export * from "./chat-template.ts";
export * from "./answer-extractors.ts";
export * from "./hf-dataset.ts";
export * from "./prompt-dataset.ts";
