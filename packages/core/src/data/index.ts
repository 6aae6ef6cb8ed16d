/** Data: tokenizers (BPE with HF tokenizer.json), datasets. The char tokenizer is exported by the package index. */
export * from "./bpe-tokenizer.ts";
export * from "./bpe-train.ts";
export * from "./jsonl-dataset.ts";
export * from "./parquet-dataset.ts";
export * from "./tokenizer.ts";
export * from "./tokenizer-file.ts";
