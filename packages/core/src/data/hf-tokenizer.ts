/**
 * Hugging Face tokenizers: a folder's `tokenizer.json` + `tokenizer_config.json` run by
 * @huggingface/tokenizers (byte-level BPE as GPT-2 / Llama 3 / Qwen, SentencePiece-style BPE with
 * Metaspace and byte fallback as Llama 2 / Mistral, Unigram, WordPiece; added and special tokens), plus
 * the chat template (data/chat-template.ts).
 *
 * Special tokens on `encode(text, { addSpecialTokens: true })` follow transformers: when
 * tokenizer_config.json sets `add_bos_token` / `add_eos_token`, they decide (BOS before, EOS after);
 * otherwise the tokenizer.json post-processor does (e.g. Llama 3's TemplateProcessing adds
 * <|begin_of_text|>, Qwen's ByteLevel adds nothing).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer as HfTokenizerEngine } from "@huggingface/tokenizers";
import { TokenizerError } from "./char-tokenizer.ts";
import { pathExists } from "../util/path-exists.ts";
import { readJsonFile } from "../util/read-json-file.ts";
import { type ChatMessage, ChatTemplate, ChatTemplateError, type ChatTemplateOptions, checkMessages } from "./chat-template.ts";
import { previewValue } from "../util/preview.ts";

export const TOKENIZER_FILES = {
  tokenizer: "tokenizer.json",
  config: "tokenizer_config.json",
  specialTokensMap: "special_tokens_map.json",
  chatTemplateJinja: "chat_template.jinja",
  chatTemplateJson: "chat_template.json",
} as const;

/** tokenizer.json model types @huggingface/tokenizers runs. */
const MODEL_TYPES = ["BPE", "Unigram", "WordPiece"];
const SPECIAL_KEYS = ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"] as const;

export interface HfEncodeOptions {
  /** Add BOS/EOS as the tokenizer config (or post-processor) says (default true, as transformers). */
  addSpecialTokens?: boolean;
}

export interface HfDecodeOptions {
  /** Leave special tokens out of the text (default false). */
  skipSpecialTokens?: boolean;
}

export interface HfTokenizerSources {
  /** Where tokenizer.json came from (named in errors). */
  tokenizerSource?: string;
  configSource?: string;
  /** Templates found outside tokenizer_config.json (chat_template.jinja / .json), by name, with their file. */
  chatTemplates?: Record<string, { text: string; source: string }>;
}

type Json = Record<string, unknown>;

export class HfTokenizer {
  private readonly engine: HfTokenizerEngine;
  private readonly templates: Map<string, ChatTemplate>;
  readonly bosToken: string | undefined;
  readonly eosToken: string | undefined;
  readonly padToken: string | undefined;
  readonly unkToken: string | undefined;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  /** tokenizer_config.json's add_bos_token / add_eos_token when it sets them (then they decide). */
  readonly addBosToken: boolean | undefined;
  readonly addEosToken: boolean | undefined;
  /** Every special token (added tokens marked special, and the named ones). */
  readonly specialTokens: readonly string[];
  private readonly specialIds: ReadonlySet<number>;
  private size: number | undefined;

  constructor(
    /** tokenizer.json as parsed. */
    readonly tokenizerJson: Json,
    /** tokenizer_config.json as parsed ({} when the folder has none). */
    readonly tokenizerConfig: Json,
    readonly sources: HfTokenizerSources = {},
  ) {
    const source = sources.tokenizerSource ?? TOKENIZER_FILES.tokenizer;
    const configSource = sources.configSource ?? TOKENIZER_FILES.config;
    if (typeof tokenizerJson !== "object" || tokenizerJson === null || Array.isArray(tokenizerJson)) throw new TokenizerError(`${source}: must hold a JSON object`);
    const model = tokenizerJson.model as Json | undefined;
    if (typeof model !== "object" || model === null || !MODEL_TYPES.includes(model.type as string)) {
      throw new TokenizerError(`${source}: tokenizer model type ${previewValue(model?.type)} is not supported (supported: ${MODEL_TYPES.join(", ")})`);
    }
    checkVocabIds(tokenizerJson, model, source);
    if (typeof tokenizerConfig !== "object" || tokenizerConfig === null || Array.isArray(tokenizerConfig)) throw new TokenizerError(`${configSource}: must hold a JSON object`);
    const config = plainConfig(tokenizerConfig);
    try {
      this.engine = new HfTokenizerEngine(tokenizerJson, config);
    } catch (error) {
      throw new TokenizerError(`${source}: cannot build the tokenizer (${(error as Error).message})`);
    }
    const token = (key: string): string | undefined => (typeof config[key] === "string" ? (config[key] as string) : undefined);
    this.bosToken = token("bos_token");
    this.eosToken = token("eos_token");
    this.padToken = token("pad_token");
    this.unkToken = token("unk_token");
    const idOf = (t: string | undefined, key: string): number | undefined => {
      if (t === undefined) return undefined;
      const id = this.engine.token_to_id(t);
      if (id === undefined) throw new TokenizerError(`${configSource}: ${key} ${previewValue(t)} is not a token of ${source}`);
      return id;
    };
    this.bosTokenId = idOf(this.bosToken, "bos_token");
    this.eosTokenId = idOf(this.eosToken, "eos_token");
    this.padTokenId = idOf(this.padToken, "pad_token");
    const flag = (key: string): boolean | undefined => {
      const v = tokenizerConfig[key];
      if (v == null) return undefined;
      if (typeof v !== "boolean") throw new TokenizerError(`${configSource}: "${key}" must be true or false, got ${previewValue(v)}`);
      return v;
    };
    this.addBosToken = flag("add_bos_token");
    this.addEosToken = flag("add_eos_token");
    if (this.addBosToken && this.bosTokenId === undefined) throw new TokenizerError(`${configSource}: add_bos_token is true but there is no bos_token`);
    if (this.addEosToken && this.eosTokenId === undefined) throw new TokenizerError(`${configSource}: add_eos_token is true but there is no eos_token`);
    const specials = new Set<string>();
    for (const [, t] of this.engine.get_added_tokens_decoder()) if (t.special) specials.add(t.content);
    for (const key of SPECIAL_KEYS) if (token(key) !== undefined) specials.add(token(key)!);
    this.specialTokens = [...specials];
    this.specialIds = new Set([...specials].map((t) => this.engine.token_to_id(t)).filter((id): id is number => id !== undefined));
    this.templates = collectTemplates(tokenizerConfig, configSource, sources.chatTemplates ?? {});
    // The engine checks little when it is built: a pre-tokenizer or normalizer with a field of the wrong
    // type fails only on the first text. Encode one now, so a broken file fails at load, naming it.
    this.encode("Hello, 12+34=46.\n", { addSpecialTokens: true });
  }

  /** Runs the tokenizer engine; its own failures (a malformed tokenizer.json it accepted) name the file. */
  private engineCall<T>(what: string, call: () => T): T {
    try {
      return call();
    } catch (error) {
      if (error instanceof TokenizerError) throw error;
      throw new TokenizerError(`${this.sources.tokenizerSource ?? TOKENIZER_FILES.tokenizer}: the tokenizer fails to ${what} (${(error as Error)?.message ?? String(error)})`);
    }
  }

  /** Loads tokenizer.json, tokenizer_config.json and any chat_template.jinja / .json of `dir`. */
  static async load(dir: string): Promise<HfTokenizer> {
    const tokenizerSource = join(dir, TOKENIZER_FILES.tokenizer);
    const configSource = join(dir, TOKENIZER_FILES.config);
    const tokenizerJson = await readJson(tokenizerSource, true);
    const tokenizerConfig = (await readJson(configSource, false)) ?? {};
    const chatTemplates: Record<string, { text: string; source: string }> = {};
    const jsonTemplate = join(dir, TOKENIZER_FILES.chatTemplateJson);
    const fromJson = await readJson(jsonTemplate, false);
    if (fromJson !== undefined) {
      const text = (fromJson as Json).chat_template;
      if (typeof text !== "string") throw new ChatTemplateError(`${jsonTemplate}: "chat_template" must be a string`);
      chatTemplates.default = { text, source: jsonTemplate };
    }
    const jinja = join(dir, TOKENIZER_FILES.chatTemplateJinja);
    if (await pathExists(jinja)) chatTemplates.default = { text: await readFile(jinja, "utf8"), source: jinja };
    return new HfTokenizer(tokenizerJson as Json, tokenizerConfig as Json, { tokenizerSource, configSource, chatTemplates });
  }

  /** Tokens in the vocab, added tokens included. */
  get vocabSize(): number {
    const size = this.size ?? this.engine.get_vocab(true).size;
    this.size = size;
    return size;
  }

  /** The chat templates by name ("default" for an unnamed one). */
  get chatTemplateNames(): string[] {
    return [...this.templates.keys()];
  }

  /** The text of the chat template `name` (default: the default one), or undefined. */
  chatTemplate(name?: string): string | undefined {
    return this.pickTemplate(name, false)?.text;
  }

  tokenToId(token: string): number | undefined {
    return this.engine.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.engine.id_to_token(id);
  }

  isSpecialId(id: number): boolean {
    return this.specialIds.has(id);
  }

  encode(text: string, { addSpecialTokens = true }: HfEncodeOptions = {}): number[] {
    if (typeof text !== "string") throw new TokenizerError(`HfTokenizer.encode: expected a string, got ${typeof text}`);
    const configDecides = this.addBosToken !== undefined || this.addEosToken !== undefined;
    if (!configDecides) return this.engineCall("encode a text", () => this.engine.encode(text, { add_special_tokens: addSpecialTokens }).ids);
    const ids = this.engineCall("encode a text", () => this.engine.encode(text, { add_special_tokens: false }).ids);
    if (!addSpecialTokens) return ids;
    return [...(this.addBosToken ? [this.bosTokenId!] : []), ...ids, ...(this.addEosToken ? [this.eosTokenId!] : [])];
  }

  decode(ids: readonly number[], { skipSpecialTokens = false }: HfDecodeOptions = {}): string {
    ids.forEach((id, i) => {
      if (!Number.isSafeInteger(id) || id < 0 || this.engine.id_to_token(id) === undefined) throw new TokenizerError(`HfTokenizer.decode: id ${id} at position ${i} is not a token (vocab of ${this.vocabSize})`);
    });
    return this.engineCall("decode ids", () => this.engine.decode([...ids], { skip_special_tokens: skipSpecialTokens }));
  }

  /**
   * The conversation rendered by the chat template, as transformers' `apply_chat_template(messages,
   * tokenize=False, ...)` renders it (TokenizerError when the tokenizer has no template).
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    const template = this.pickTemplate(options.template, true)!;
    checkMessages(messages, template.source);
    const special: Json = {};
    for (const key of SPECIAL_KEYS) {
      const v = plainToken(this.tokenizerConfig[key]);
      if (v !== undefined) special[key] = v;
    }
    const extra = this.tokenizerConfig.additional_special_tokens;
    if (Array.isArray(extra)) special.additional_special_tokens = extra.map(plainToken);
    return template.render({
      ...special,
      ...(options.variables ?? {}),
      messages,
      tools: options.tools ?? null,
      documents: options.documents ?? null,
      add_generation_prompt: options.addGenerationPrompt ?? false,
    });
  }

  /** `applyChatTemplate` then `encode` without adding special tokens (the template writes them), as transformers does. */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }

  /** tokenizer.json (what r1ts bundles and checkpoints keep as their `tokenizer`, beside `tokenizerConfig`). */
  toJSON(): Record<string, unknown> {
    return this.tokenizerJson;
  }

  /** tokenizer_config.json with the chat template folded in (from chat_template.jinja / .json when it came from there), for bundles. */
  configWithTemplate(): Record<string, unknown> {
    const outside = this.sources.chatTemplates?.default;
    return outside ? { ...this.tokenizerConfig, chat_template: outside.text } : this.tokenizerConfig;
  }

  /** A view for training and generation: `encode(text)` adds no special tokens (chat templates write them), as TRL does. */
  promptTokenizer(): HfPromptTokenizer {
    return new HfPromptTokenizer(this);
  }

  /** The files that reproduce this tokenizer in a folder (tokenizer.json, tokenizer_config.json, special_tokens_map.json, chat templates). */
  toFiles(): Record<string, string> {
    const files: Record<string, string> = {
      [TOKENIZER_FILES.tokenizer]: JSON.stringify(this.tokenizerJson),
      [TOKENIZER_FILES.config]: JSON.stringify(this.tokenizerConfig, null, 2) + "\n",
    };
    const map: Json = {};
    for (const key of SPECIAL_KEYS) if (this.tokenizerConfig[key] != null) map[key] = this.tokenizerConfig[key];
    if (Array.isArray(this.tokenizerConfig.additional_special_tokens)) map.additional_special_tokens = this.tokenizerConfig.additional_special_tokens;
    files[TOKENIZER_FILES.specialTokensMap] = JSON.stringify(map, null, 2) + "\n";
    const outside = this.sources.chatTemplates?.default;
    if (outside) files[TOKENIZER_FILES.chatTemplateJinja] = outside.text;
    return files;
  }

  private pickTemplate(name: string | undefined, required: boolean): ChatTemplate | undefined {
    const configSource = this.sources.configSource ?? TOKENIZER_FILES.config;
    if (this.templates.size === 0) {
      if (required) throw new TokenizerError(`${configSource}: the tokenizer has no chat template (no "chat_template" in it, no chat_template.jinja beside it)`);
      return undefined;
    }
    if (name !== undefined) {
      const t = this.templates.get(name);
      if (!t) throw new TokenizerError(`${configSource}: no chat template named ${previewValue(name)} (templates: ${[...this.templates.keys()].join(", ")})`);
      return t;
    }
    const t = this.templates.get("default") ?? (this.templates.size === 1 ? [...this.templates.values()][0] : undefined);
    if (!t && required) throw new TokenizerError(`${configSource}: several chat templates and none is "default"; name one (templates: ${[...this.templates.keys()].join(", ")})`);
    return t;
  }
}

/**
 * An HfTokenizer as trainers, generation and evaluation use it (the Tokenizer interface): prompts are
 * rendered texts (a chat template writes BOS and its turn markers), completions come as ids, so `encode`
 * adds no special tokens, as TRL's GRPO and transformers' apply_chat_template(tokenize=True) do.
 */
export class HfPromptTokenizer {
  constructor(readonly hf: HfTokenizer) {}

  get vocabSize(): number {
    return this.hf.vocabSize;
  }

  encode(text: string): number[] {
    return this.hf.encode(text, { addSpecialTokens: false });
  }

  decode(ids: readonly number[]): string {
    return this.hf.decode(ids);
  }

  tokenToId(token: string): number | undefined {
    return this.hf.tokenToId(token);
  }

  toJSON(): Record<string, unknown> {
    return this.hf.toJSON();
  }
}

/** Loads the HF tokenizer of a folder (tokenizer.json + tokenizer_config.json + chat template). */
export function loadTokenizer(dir: string): Promise<HfTokenizer> {
  return HfTokenizer.load(dir);
}

function collectTemplates(config: Json, configSource: string, outside: Record<string, { text: string; source: string }>): Map<string, ChatTemplate> {
  const out = new Map<string, ChatTemplate>();
  const raw = config.chat_template;
  if (typeof raw === "string") out.set("default", new ChatTemplate(configSource, raw));
  else if (Array.isArray(raw)) {
    raw.forEach((entry, i) => {
      const e = entry as Json;
      if (typeof e?.name !== "string" || typeof e?.template !== "string") throw new ChatTemplateError(`${configSource}: chat_template[${i}] must be { name, template }`);
      out.set(e.name, new ChatTemplate(`${configSource} (template "${e.name}")`, e.template));
    });
  } else if (raw != null) throw new ChatTemplateError(`${configSource}: "chat_template" must be a string or a list of { name, template }, got ${previewValue(raw, 60)}`);
  for (const [name, { text, source }] of Object.entries(outside)) out.set(name, new ChatTemplate(source, text));
  return out;
}

/** A special token as its text: tokenizer configs store either "<s>" or { "__type": "AddedToken", content: "<s>", ... }. */
function plainToken(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as Json).content === "string") return (value as Json).content as string;
  return undefined;
}

/** tokenizer_config.json with special tokens as plain strings (what @huggingface/tokenizers expects). */
function plainConfig(config: Json): Json {
  const out: Json = { ...config };
  for (const key of SPECIAL_KEYS) {
    if (config[key] === null) delete out[key];
    else if (config[key] !== undefined) out[key] = plainToken(config[key]);
  }
  if (Array.isArray(config.additional_special_tokens)) out.additional_special_tokens = config.additional_special_tokens.map(plainToken);
  return out;
}

async function readJson(path: string, required: boolean): Promise<unknown> {
  return readJsonFile(path, (problem, cause) => new TokenizerError(`${path}: ${problem}`, { cause }), { optional: !required });
}

/**
 * Token ids of a BPE / WordPiece vocabulary (an object token -> id) and of added tokens must be
 * integers >= 0 and not far beyond the number of tokens listed: the engine takes any JSON number and
 * builds an id-indexed table, so a fractional id fails only later (in decode or an embedding), and an id
 * of 2^31 makes a 2^31-entry table (a load that never finishes). Real vocabularies are dense.
 */
function checkVocabIds(tokenizerJson: Json, model: Json, source: string): void {
  const added = Array.isArray(tokenizerJson.added_tokens) ? (tokenizerJson.added_tokens as unknown[]) : [];
  const vocab = model.vocab;
  const entries: [string, unknown][] = [];
  if (model.type !== "Unigram") {
    if (typeof vocab !== "object" || vocab === null || Array.isArray(vocab)) throw new TokenizerError(`${source}: model.vocab must be an object of token -> id, got ${previewValue(vocab, 60)}`);
    for (const [token, id] of Object.entries(vocab)) entries.push([`model.vocab[${previewValue(token, 40)}]`, id]);
  }
  added.forEach((t, i) => entries.push([`added_tokens[${i}].id`, (t as Json | null)?.id]));
  const tokens = (Array.isArray(vocab) ? vocab.length : entries.length - added.length) + added.length;
  const limit = 16 * tokens + 1024;
  for (const [where, id] of entries) {
    if (model.type === "Unigram" && !where.startsWith("added")) continue;
    if (!Number.isSafeInteger(id) || (id as number) < 0) throw new TokenizerError(`${source}: ${where} must be an integer id >= 0, got ${previewValue(id, 40)}`);
    if ((id as number) >= limit) throw new TokenizerError(`${source}: ${where} is ${id}, far beyond the ${tokens} tokens the file lists (ids must stay below ${limit})`);
  }
}
