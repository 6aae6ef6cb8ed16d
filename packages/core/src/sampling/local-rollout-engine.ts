/** The default rollout engine: batched generation with a KV cache on the training model itself. */
import { generate, type GenerationModel, type TokenDecoder } from "../generate/generate.ts";
import type { RolloutEngine, RolloutEngineFactory, RolloutRequest, Rollouts } from "./rollout-engine.ts";

export class LocalRolloutEngine implements RolloutEngine {
  readonly name = "local";

  constructor(
    private readonly model: GenerationModel,
    private readonly tokenizer: TokenDecoder,
    /** Rows generated at once (default: the whole request). */
    private readonly maxBatchRows = Infinity,
  ) {}

  async generate(request: RolloutRequest): Promise<Rollouts> {
    const { prompts, groupSize, maxNewTokens, temperature, topP, topK, eosTokenId, seed, returnLogProbs = false } = request;
    // Each prompt repeated G times, so rows g*G .. g*G + G - 1 form group g.
    const rows = prompts.flatMap((p) => Array.from({ length: groupSize }, () => p));
    const out: Rollouts = { completionIds: [], texts: [], finishReasons: [], ...(returnLogProbs ? { logProbs: [] } : {}) };
    const chunk = Math.max(1, Math.min(rows.length, this.maxBatchRows));
    for (let start = 0; start < rows.length; start += chunk) {
      const result = await generate(this.model, rows.slice(start, start + chunk), {
        maxNewTokens, temperature, topP, topK, eosTokenId, tokenizer: this.tokenizer, seed: seed + start,
        returnLogProbs, logProbsMode: "processed",
      });
      out.completionIds.push(...result.completionIds);
      out.texts.push(...result.texts!);
      out.finishReasons.push(...result.finishReasons);
      if (returnLogProbs) out.logProbs!.push(...result.completionLogProbs!);
    }
    return out;
  }
}

/** The default factory of a run's container: a LocalRolloutEngine on the policy. */
export const localRolloutEngineFactory: RolloutEngineFactory = Object.freeze<RolloutEngineFactory>({
  name: "local",
  create: ({ model, tokenizer }) => new LocalRolloutEngine(model, tokenizer),
});
