import { beforeAll, describe, expect, it } from "vitest";
import { expectClose } from "./expect-close.ts";
import {
  CharTokenizer,
  LocalRolloutEngine,
  ShapeError,
  type Tensor,
  TransformerLM,
  type TransformerConfigInput,
  completionLogProbs,
  dispose,
  generate,
  logSoftmax,
  memory,
  mul,
  packCompletions,
  reshape,
  setBackend,
  sum,
  takeAlongAxis,
  tensor,
  tidy,
  valueAndGradsOf,
} from "../src/index.ts";

const SMALL: TransformerConfigInput = { vocabSize: 11, dim: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 12, maxSeqLen: 24, initStd: 0.5, seed: 4 };

/** Logits [S, V] of one unpadded sequence, as host rows. */
function logitRows(model: TransformerLM, seq: readonly number[]): number[][] {
  const t = tidy(() => model.forward(tensor(Int32Array.from(seq), [1, seq.length], "i32")));
  const flat = Array.from(t.dataSync());
  t.dispose();
  const v = model.config.vocabSize;
  return Array.from({ length: seq.length }, (_, i) => flat.slice(i * v, (i + 1) * v));
}

function logSoftmaxRow(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

const tensorsOf = (b: ReturnType<typeof packCompletions>) => ({
  inputs: tensor(b.inputs, [b.batch, b.width], "i32"),
  positions: tensor(b.positions, [b.batch * b.completionWidth], "i32"),
  targets: tensor(b.targets, [b.batch, b.completionWidth], "i32"),
});

const ROWS = [
  { prompt: [1, 2, 3], completion: [4, 5] },
  { prompt: [6], completion: [7, 8, 9, 10] },
  { prompt: [2, 2], completion: [3] },
];

beforeAll(async () => {
  await setBackend("reference");
});

describe("packCompletions", () => {
  it("right-pads the sequences and lays completion tokens out in their own columns", () => {
    const b = packCompletions(ROWS, { padId: 0 });
    expect([b.batch, b.width, b.completionWidth, b.activeTokens]).toEqual([3, 4, 4, 7]);
    expect(Array.from(b.inputs)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 2, 2, 0, 0]);
    expect(Array.from(b.targets)).toEqual([4, 5, 0, 0, 7, 8, 9, 10, 3, 0, 0, 0]);
    expect(Array.from(b.mask)).toEqual([1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0]);
    // Row 0's completion is predicted from positions 2, 3; row 1's from 0..3; row 2's from 1 (flat: b * 4 + t).
    expect(Array.from(b.positions)).toEqual([2, 3, 3, 3, 4, 5, 6, 7, 9, 9, 9, 9]);
  });

  it("rejects an empty batch and an empty prompt", () => {
    expect(() => packCompletions([])).toThrow(ShapeError);
    expect(() => packCompletions([{ prompt: [], completion: [1] }])).toThrow(/empty prompt/);
  });
});

describe("completionLogProbs", () => {
  it("equals log softmax(logits / T) at each completion token, for T = 1 and T = 0.7, with the entropy at T", () => {
    const model = new TransformerLM(SMALL);
    const batch = packCompletions(ROWS);
    for (const temperature of [1, 0.7]) {
      const t = tensorsOf(batch);
      const out = tidy(() => completionLogProbs(model, t, { temperature, entropy: "detached" }));
      const lp = Array.from(out.logProbs.dataSync());
      const h = Array.from(out.entropy!.dataSync());
      ROWS.forEach((row, b) => {
        const seq = [...row.prompt, ...row.completion];
        const rows = logitRows(model, seq);
        row.completion.forEach((token, j) => {
          const dist = logSoftmaxRow(rows[row.prompt.length - 1 + j].map((z) => z / temperature));
          expect(lp[b * batch.completionWidth + j]).toBeCloseTo(dist[token], 5);
          expect(h[b * batch.completionWidth + j]).toBeCloseTo(-dist.reduce((a, l) => a + Math.exp(l) * l, 0), 5);
        });
      });
      dispose([out, t]);
    }
    model.dispose();
  });

  it("has the gradient of the full-sequence log-probs restricted to completion tokens", () => {
    const model = new TransformerLM(SMALL);
    const batch = packCompletions(ROWS);
    const t = tensorsOf(batch);
    const mask = tensor(batch.mask, [batch.batch, batch.completionWidth]);
    const params = model.parameters();
    // The same objective through model.tokenLogProbs over every position, masked to the completion tokens.
    const fullTargets = new Int32Array(batch.batch * batch.width);
    const fullMask = new Float32Array(batch.batch * batch.width);
    ROWS.forEach((row, b) => {
      const seq = [...row.prompt, ...row.completion];
      for (let i = 0; i + 1 < seq.length; i++) fullTargets[b * batch.width + i] = seq[i + 1];
      for (let j = 0; j < row.completion.length; j++) fullMask[b * batch.width + row.prompt.length - 1 + j] = 1;
    });
    const a = valueAndGradsOf(() => sum(mul(completionLogProbs(model, t, { temperature: 0.8 }).logProbs, mask)), params);
    const b = valueAndGradsOf(() => {
      const inputs = tensor(batch.inputs, [batch.batch, batch.width], "i32");
      const logits = mul(model.forward(inputs), 1 / 0.8);
      // log softmax(z / T)[y] over every position, summed over the completion tokens.
      return sum(mul(pickLogSoftmax(logits, tensor(fullTargets, [batch.batch, batch.width], "i32")), tensor(fullMask, [batch.batch, batch.width])));
    }, params);
    expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0], 4);
    a.grads.forEach((g, i) => expectClose(g.dataSync(), b.grads[i].dataSync(), 1e-5, 1e-3));
    dispose([a, b, t, mask]);
    model.dispose();
  });

  it("frees its intermediates and checks the temperature", () => {
    const model = new TransformerLM(SMALL);
    const t = tensorsOf(packCompletions(ROWS));
    const before = memory().numTensors;
    const out = completionLogProbs(model, t, { entropy: "differentiable" });
    dispose(out);
    expect(memory().numTensors).toBe(before);
    expect(() => completionLogProbs(model, t, { temperature: 0 })).toThrow(/temperature/);
    dispose(t);
    model.dispose();
  });
});

describe("the sampler's log-probs", () => {
  const prompts = [[1, 2, 3], [4], [5, 6]];

  it("are log-probs of the filtered, temperature-scaled distribution each token was drawn from", async () => {
    const model = new TransformerLM(SMALL);
    const [temperature, topK, topP] = [1.3, 5, 0.8];
    const out = await generate(model, prompts, { maxNewTokens: 6, seed: 3, temperature, topK, topP, returnLogProbs: true, logProbsMode: "processed" });
    out.sequences.forEach((seq, r) => {
      const rows = logitRows(model, seq);
      out.completionIds[r].forEach((token, j) => {
        const scaled = rows[prompts[r].length - 1 + j].map((z) => z / temperature);
        const order = scaled.map((z, i) => [z, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, topK);
        const probs = logSoftmaxRow(order.map(([z]) => z)).map(Math.exp);
        let before = 0;
        const kept = order.filter((_, k) => { const keep = before < topP; before += probs[k]; return keep; });
        expect(kept.map(([, i]) => i)).toContain(token);
        const dist = logSoftmaxRow(kept.map(([z]) => z));
        expect(out.completionLogProbs![r][j]).toBeCloseTo(dist[kept.findIndex(([, i]) => i === token)], 4);
      });
    });
    // Greedy decoding draws with probability 1.
    const greedy = await generate(model, prompts, { maxNewTokens: 3, temperature: 0, returnLogProbs: true, logProbsMode: "processed" });
    expect(greedy.completionLogProbs!.flat()).toEqual(new Array(9).fill(0));
    model.dispose();
  });

  it("equal the trainer's completionLogProbs at the same temperature (unfiltered), through the local rollout engine", async () => {
    const model = new TransformerLM(SMALL);
    const tokenizer = new CharTokenizer([..."abcdefghijk"]);
    const engine = new LocalRolloutEngine(model, tokenizer);
    const rollouts = await engine.generate({ prompts, groupSize: 2, maxNewTokens: 5, temperature: 0.9, topP: 1, eosTokenId: 0, seed: 11 });
    const rows = rollouts.completionIds.map((completion, i) => ({ prompt: prompts[Math.floor(i / 2)], completion }));
    const batch = packCompletions(rows);
    const t = tensorsOf(batch);
    const lp = tidy(() => completionLogProbs(model, t, { temperature: 0.9 }).logProbs);
    const trainer = Array.from(lp.dataSync());
    rollouts.logProbs!.forEach((row, b) => expectClose(row, trainer.slice(b * batch.completionWidth, b * batch.completionWidth + row.length), 1e-5, 1e-4));
    dispose([lp, t]);
    model.dispose();
  });

  it("rejects an unknown logProbsMode", async () => {
    const model = new TransformerLM(SMALL);
    await expect(generate(model, prompts, { maxNewTokens: 2, returnLogProbs: true, logProbsMode: "logits" as "raw" })).rejects.toThrow(/logProbsMode/);
    model.dispose();
  });
});

/** logits [B, S, V], targets [B, S] -> log softmax(logits)[target] [B, S]. */
function pickLogSoftmax(logits: Tensor, targets: Tensor): Tensor {
  const [b, s] = targets.shape;
  return reshape(takeAlongAxis(logSoftmax(logits, -1), reshape(targets, [b, s, 1]), -1), [b, s]);
}
