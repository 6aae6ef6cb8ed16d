/**
 * The R1-Zero prompt template (DeepSeek-R1 paper, Table 1; docs/r1-recipe.md). The model's completion
 * continues right after "Assistant:" and is expected to read
 * `<think>\n...\n</think>\n<answer>\n...\n</answer>` (the format reward's pattern, docs/rewards.md).
 */
export const R1_ZERO_TEMPLATE =
  "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. " +
  "The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. " +
  "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, " +
  "i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: {prompt}. Assistant:";

/** The template with `question` in place of {prompt}. */
export function r1ZeroPrompt(question: string): string {
  return R1_ZERO_TEMPLATE.replace("{prompt}", question);
}

/** A completion in the R1 format: `<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>`. */
export function r1Completion(think: string, answer: string): string {
  return `<think>\n${think}\n</think>\n<answer>\n${answer}\n</answer>`;
}
