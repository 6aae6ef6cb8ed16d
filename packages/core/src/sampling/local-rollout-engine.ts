/** The default rollout engine: batched generation with a KV cache on the training model itself. */
import { generate, type GenerationModel, type TokenDecoder } from "../generate/generate.ts";
import { type RolloutEngine, type RolloutEngineFactory, type RolloutRequest, type Rollouts, rolloutRowSeeds } from "./rollout-engine.ts";

export class LocalRolloutEngine implements RolloutEngine {
  readonly name = "local";

  constructor(
    private readonly model: GenerationModel,
    private readonly tokenizer: TokenDecoder,
    /** Rows generated at once (default: the whole request); any split gives the same rollouts. */
    private readonly maxBatchRows = Infinity,
  ) {}

  async generate(request: RolloutRequest): Promise<Rollouts> {
    const { prompts, groupSize, maxNewTokens, temperature, topP, topK, eosTokenId, seed } = request;
    // Each prompt repeated G times, so rows g*G .. g*G + G - 1 form group g; row r samples from its own stream.
    const rows = prompts.flatMap((p) => Array.from({ length: groupSize }, () => p));
    const rowSeeds = rolloutRowSeeds(seed, 0, prompts.length, groupSize);
    const out: Rollouts = { completionIds: [], texts: [], finishReasons: [], logProbs: [], policyVersion: request.policyVersion ?? request.step };
    const chunk = Math.max(1, Math.min(rows.length, this.maxBatchRows));
    for (let start = 0; start < rows.length; start += chunk) {
      const result = await generate(this.model, rows.slice(start, start + chunk), {
        maxNewTokens, temperature, topP, topK, eosTokenId, tokenizer: this.tokenizer, rowSeeds: rowSeeds.slice(start, start + chunk), returnLogProbs: true, logProbsMode: "processed",
      });
      out.completionIds.push(...result.completionIds);
      out.texts.push(...result.texts!);
      out.finishReasons.push(...result.finishReasons);
      out.logProbs!.push(...result.completionLogProbs!);
    }
    return out;
  }
}

/** The default factory of a run's container: a LocalRolloutEngine on the policy. */
export const localRolloutEngineFactory: RolloutEngineFactory = Object.freeze<RolloutEngineFactory>({
  name: "local",
  create: ({ model, tokenizer }) => new LocalRolloutEngine(model, tokenizer),
});
