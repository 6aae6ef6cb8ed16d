/**
 * Dataset rows -> prompts with gold answers (the problems a GRPO run samples and an evaluation scores).
 * The prompt comes from a column (default the first of prompt, question, problem) holding either a text
 * or a conversation (a list of { role, content }, TRL's conversational format); the gold answer from
 * another (default answer, then solution), extracted by format (GSM8K's `#### 42`, MATH's `\boxed{}`).
 *
 * Prompt formats: "chat" renders the conversation (a text becomes one user turn, after `systemPrompt`)
 * with the model's chat template and its generation prompt; "r1-zero" puts a text into the R1-Zero
 * template; "raw" uses the text as it is. Conversations always need "chat".
 */
import type { Problem } from "../tasks/task.ts";
import { r1ZeroPrompt } from "../tasks/template.ts";
import { type AnswerFormat, extractGoldAnswer } from "./answer-extractors.ts";
import type { ChatMessage, ChatTemplateOptions } from "./chat-template.ts";
import { DatasetError } from "./jsonl-dataset.ts";
import { previewValue } from "../util/preview.ts";

export type PromptFormat = "chat" | "r1-zero" | "raw";

/** What renders conversations: an HfTokenizer with a chat template. */
export interface ChatFormatter {
  applyChatTemplate(messages: readonly ChatMessage[], options?: ChatTemplateOptions): string;
}

export interface PromptDatasetOptions {
  /** Named in ids and errors (the file or folder). */
  source: string;
  /** Default: the first of "prompt", "question", "problem" the rows have. */
  promptColumn?: string;
  /** Default: the first of "answer", "solution" the rows have (none: no gold answers). */
  answerColumn?: string;
  answerFormat?: AnswerFormat;
  /** Default "chat" with a formatter, else "r1-zero". */
  promptFormat?: PromptFormat;
  /** A system turn before every prompt (chat only); a conversation that has one keeps its own. */
  systemPrompt?: string;
  formatter?: ChatFormatter;
  /** Extra chat-template variables (e.g. `{ enable_thinking: false }`). */
  templateVariables?: Record<string, unknown>;
}

const PROMPT_COLUMNS = ["prompt", "question", "problem"];
const ANSWER_COLUMNS = ["answer", "solution"];

/** Problems from dataset rows: `prompt` as the model sees it, `answer` (and `columns.answer`) the extracted gold. */
export function promptProblems(rows: readonly Record<string, unknown>[], options: PromptDatasetOptions): Problem[] {
  const { source, answerFormat = "auto", systemPrompt, formatter } = options;
  const format = options.promptFormat ?? (formatter ? "chat" : "r1-zero");
  if (format === "chat" && !formatter) throw new DatasetError(`dataset ${source}: promptFormat "chat" needs the model's tokenizer with a chat template`);
  if (systemPrompt !== undefined && format !== "chat") throw new DatasetError(`dataset ${source}: systemPrompt needs promptFormat "chat" (got "${format}")`);
  const pick = (given: string | undefined, candidates: string[], what: string, required: boolean): string | undefined => {
    if (given !== undefined) return given;
    const found = candidates.find((c) => rows.length > 0 && Object.hasOwn(rows[0], c));
    if (found === undefined && required) throw new DatasetError(`dataset ${source}: no ${what} column (looked for ${candidates.join(", ")}; set the column name)`);
    return found;
  };
  const promptColumn = pick(options.promptColumn, PROMPT_COLUMNS, "prompt", rows.length > 0)!;
  const answerColumn = pick(options.answerColumn, ANSWER_COLUMNS, "answer", false);
  return rows.map((row, i) => {
    const where = `dataset ${source}, row ${i + 1}`;
    const value = row[promptColumn];
    const conversation = toConversation(value, where, promptColumn);
    let prompt: string;
    if (format === "chat") {
      const messages = conversation ?? [{ role: "user", content: value as string }];
      const withSystem = systemPrompt !== undefined && messages[0]?.role !== "system" ? [{ role: "system", content: systemPrompt }, ...messages] : messages;
      prompt = formatter!.applyChatTemplate(withSystem, { addGenerationPrompt: true, variables: options.templateVariables });
    } else {
      if (conversation) throw new DatasetError(`${where}: column "${promptColumn}" is a conversation; use promptFormat "chat" with the model's chat template`);
      prompt = format === "r1-zero" ? r1ZeroPrompt(value as string) : (value as string);
    }
    const question = conversation ? lastUserText(conversation) : (value as string);
    let answer = "";
    const columns: Record<string, unknown> = { ...row };
    if (answerColumn !== undefined && (options.answerColumn !== undefined || Object.hasOwn(row, answerColumn))) {
      if (!Object.hasOwn(row, answerColumn)) throw new DatasetError(`${where}: no column "${answerColumn}" (the gold answer)`);
      const gold = extractGoldAnswer(row[answerColumn], answerFormat);
      if (gold === null) throw new DatasetError(`${where}: column "${answerColumn}" has no ${answerFormat === "auto" ? "" : `${answerFormat} `}gold answer: ${previewValue(row[answerColumn], 80)}`);
      answer = gold;
      // The full solution stays readable (GSM8K keeps it in "answer"): under "solution" unless the row has one.
      if (answerColumn === "answer" && gold !== row.answer && !Object.hasOwn(row, "solution")) columns.solution = row.answer;
      columns.answer = gold;
    }
    return { id: `${source}#${i + 1}`, question, prompt, answer, columns };
  });
}

function toConversation(value: unknown, where: string, column: string): ChatMessage[] | undefined {
  if (typeof value === "string") return undefined;
  if (!Array.isArray(value) || value.length === 0) throw new DatasetError(`${where}: column "${column}" must be a text or a list of { role, content }, got ${previewValue(value, 80)}`);
  value.forEach((m, j) => {
    if (typeof m !== "object" || m === null || typeof (m as ChatMessage).role !== "string" || typeof (m as ChatMessage).content !== "string") {
      throw new DatasetError(`${where}: message ${j} of column "${column}" must be { role, content } with strings, got ${previewValue(m, 80)}`);
    }
  });
  return value as ChatMessage[];
}

function lastUserText(messages: readonly ChatMessage[]): string {
  const user = [...messages].reverse().find((m) => m.role === "user");
  return String((user ?? messages[messages.length - 1]).content);
}
