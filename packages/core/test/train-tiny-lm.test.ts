import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  AdamW,
  CharTokenizer,
  Generator,
  type GeneratorState,
  type LrSchedule,
  type Tensor,
  TransformerLM,
  type TransformerConfigInput,
  clipGradNorm,
  cosineSchedule,
  loadCheckpoint,
  saveCheckpoint,
  setBackend,
  tensor,
  tidy,
  valueAndGradsOf,
} from "../src/index.ts";

// A short public-domain text (the opening of "Alice's Adventures in Wonderland"), repeated.
const TEXT =
  "alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: " +
  "once or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it. ";
const tokenizer = CharTokenizer.fromText(TEXT);
const IDS = tokenizer.encode(TEXT.repeat(4));

const BATCH = 8;
const SEQ = 32;

function makeModel(seed: number, overrides: Partial<TransformerConfigInput> = {}): TransformerLM {
  return new TransformerLM({ vocabSize: tokenizer.vocabSize, dim: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, interDim: 128, maxSeqLen: SEQ, seed, ...overrides });
}

function makeOptimizer(model: TransformerLM, lr: number): AdamW {
  return new AdamW(model.namedParameters(), { lr, weightDecay: 0.1, beta2: 0.95, decay: (_name, p) => p.rank >= 2 });
}

/** Trains steps [from, to) on random windows drawn from `rng`; returns each step's loss. */
async function train(model: TransformerLM, optimizer: AdamW, rng: Generator, schedule: LrSchedule, from: number, to: number): Promise<number[]> {
  const params = model.namedParameters();
  const losses: number[] = [];
  for (let step = from; step < to; step++) {
    const inputs = new Int32Array(BATCH * SEQ);
    const targets = new Int32Array(BATCH * SEQ);
    for (let b = 0; b < BATCH; b++) {
      const start = rng.int(IDS.length - SEQ - 1);
      for (let s = 0; s < SEQ; s++) {
        inputs[b * SEQ + s] = IDS[start + s];
        targets[b * SEQ + s] = IDS[start + s + 1];
      }
    }
    const loss = tidy(() => {
      const x = tensor(inputs, [BATCH, SEQ]);
      const y = tensor(targets, [BATCH, SEQ]);
      const { value, grads } = valueAndGradsOf(() => model.loss(x, y), [...params.values()]);
      optimizer.step(clipGradNorm(grads, 1).grads, { lr: schedule(step) });
      return value as Tensor;
    });
    losses.push((await loss.data())[0]);
    loss.dispose();
  }
  return losses;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("training a tiny TransformerLM on the reference backend", () => {
  it("brings the loss below 60% of its initial value in 60 steps", async () => {
    await setBackend("reference");
    const steps = 60;
    const model = makeModel(0);
    const optimizer = makeOptimizer(model, 1e-2);
    const losses = await train(model, optimizer, new Generator(1), cosineSchedule({ lr: 1e-2, minLr: 1e-3, warmupSteps: 6, totalSteps: steps }), 0, steps);
    const initial = losses[0];
    const final = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(initial).toBeGreaterThan(Math.log(tokenizer.vocabSize) - 0.3); // near uniform at the start
    expect(final).toBeLessThan(0.6 * initial);
    optimizer.dispose();
    model.dispose();
  });

  it("resuming from a checkpoint continues exactly like an uninterrupted run", async () => {
    await setBackend("reference");
    const total = 8;
    const cut = 5;
    const schedule = cosineSchedule({ lr: 1e-2, minLr: 1e-3, warmupSteps: 2, totalSteps: total });
    const config = { dim: 32, interDim: 64 };

    // Uninterrupted.
    const model = makeModel(3, config);
    const optimizer = makeOptimizer(model, 1e-2);
    const rng = new Generator(11);
    const straight = await train(model, optimizer, rng, schedule, 0, total);
    const straightWeights = await model.stateDict();
    optimizer.dispose();
    model.dispose();

    // Interrupted at `cut`: save, throw everything away, load into a fresh (differently seeded) model.
    const first = makeModel(3, config);
    const firstOptimizer = makeOptimizer(first, 1e-2);
    const firstRng = new Generator(11);
    const before = await train(first, firstOptimizer, firstRng, schedule, 0, cut);
    const dir = await mkdtemp(join(tmpdir(), "r1ts-resume-"));
    dirs.push(dir);
    await saveCheckpoint(dir, {
      weights: await first.stateDict(),
      config: first.config,
      optimizer: await firstOptimizer.state(),
      trainerState: { step: cut, dataRng: firstRng.getState() },
    });
    firstOptimizer.dispose();
    first.dispose();

    const ckpt = await loadCheckpoint(dir);
    const resumed = makeModel(99, config);
    resumed.loadStateDict(ckpt.weights);
    const resumedOptimizer = makeOptimizer(resumed, 123);
    resumedOptimizer.loadState(ckpt.optimizer!);
    const resumedRng = new Generator(0);
    resumedRng.setState(ckpt.trainerState!.dataRng as GeneratorState);
    const after = await train(resumed, resumedOptimizer, resumedRng, schedule, ckpt.trainerState!.step as number, total);

    expect(resumedOptimizer.stepCount).toBe(total);
    expect([...before, ...after]).toEqual(straight);
    expect(await resumed.stateDict()).toEqual(straightWeights);
    resumedOptimizer.dispose();
    resumed.dispose();
  });
});
