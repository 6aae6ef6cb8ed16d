/**
 * Chat templates: the Jinja template a tokenizer ships (`chat_template` in tokenizer_config.json, or
 * chat_template.jinja / chat_template.json beside it) rendered with @huggingface/jinja in the context
 * transformers' `apply_chat_template` gives it: `messages`, `tools`, `documents`, `add_generation_prompt`,
 * the special tokens (`bos_token`, `eos_token`, ...), any extra keyword (e.g. Qwen3's `enable_thinking`),
 * and the globals `raise_exception` and `strftime_now`; blocks trimmed and left-stripped as transformers' Jinja
 * environment does. A template that does not parse, or raises while rendering, fails naming its file.
 */
import { Template } from "@huggingface/jinja";
import { TokenizerError } from "./char-tokenizer.ts";
import { previewValue } from "../util/preview.ts";

/** A chat template that does not parse or that raises (e.g. through `raise_exception`); names the file. */
export class ChatTemplateError extends TokenizerError {}

/** One chat message; `content` is usually a string (tool calls and other fields pass through to the template). */
export interface ChatMessage {
  role: string;
  content?: unknown;
  [field: string]: unknown;
}

export interface ChatTemplateOptions {
  /** End with the assistant's turn opener, so the model writes the reply (default false). */
  addGenerationPrompt?: boolean;
  /** Tool (function) definitions as JSON schemas, for templates that render them. */
  tools?: readonly unknown[];
  /** Retrieval documents, for templates that render them. */
  documents?: readonly unknown[];
  /** Which template: a name among the tokenizer's named templates (default "default", else the only one). */
  template?: string;
  /** Extra variables for the template (transformers' **kwargs), e.g. `{ enable_thinking: false }`. */
  variables?: Record<string, unknown>;
}

/** A parsed chat template and where it came from. */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    readonly text: string,
  ) {
    try {
      this.template = new Template(text);
    } catch (error) {
      throw new ChatTemplateError(`${source}: the chat template does not parse (${(error as Error).message})`);
    }
  }

  /** Renders the template over `context` (ChatTemplateError naming the file when it raises). */
  render(context: Record<string, unknown>): string {
    try {
      return this.template.render(Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined)));
    } catch (error) {
      throw new ChatTemplateError(`${this.source}: the chat template raised: ${(error as Error).message}`);
    }
  }
}

/** Checks messages before they reach a template (a clear error instead of a Jinja one). */
export function checkMessages(messages: readonly ChatMessage[], where: string): void {
  if (!Array.isArray(messages)) throw new TokenizerError(`${where}: messages must be a list of { role, content }, got ${previewValue(messages, 60)}`);
  messages.forEach((m, i) => {
    if (typeof m !== "object" || m === null || typeof m.role !== "string") {
      throw new TokenizerError(`${where}: message ${i} must be an object with a string "role", got ${previewValue(m, 60)}`);
    }
  });
}
