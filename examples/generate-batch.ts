/**
 * Batched generation: three prompts of different lengths in one batch, with a KV cache, top-p sampling,
 * an EOS token, a stop string and a token budget.
 *   npx -y pnpm@12.4.2 exec tsx examples/generate-batch.ts
 */
import * as r from "@r1ts/core";

export async function generateBatch(): Promise<{ result: r.GenerateResult; liveTensorsAfter: number }> {
  await r.setBackend("reference");
  const tokenizer = r.CharTokenizer.fromText("abcdefghijklmnopqrstuvwxyz .=+0123456789", { specialTokens: ["<eos>"] });
  const eos = tokenizer.tokenToId("<eos>")!;
  // An untrained model: the point is the mechanics (a trained one comes from examples/train-tiny-lm.ts).
  const model = new r.TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 64, maxSeqLen: 64, seed: 1 });
  const before = r.memory().numTensors;

  const prompts = ["1+2=", "the cat", "a"].map((p) => tokenizer.encode(p));
  const result = await r.generate(model, prompts, {
    maxNewTokens: 12,
    temperature: 0.8,
    topP: 0.95,
    seed: 7,
    eosTokenId: eos,
    stopStrings: ["."],
    tokenizer,
    returnLogProbs: true,
  });
  result.texts!.forEach((text, i) => console.log(JSON.stringify(text), result.finishReasons[i], result.completionLengths[i]));

  const liveTensorsAfter = r.memory().numTensors - before;
  model.dispose();
  return { result, liveTensorsAfter };
}

if (import.meta.url === `file://${process.argv[1]}`) await generateBatch();
