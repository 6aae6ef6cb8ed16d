/**
 * The tensor engine in five minutes: tensors, ops, gradients, memory scopes, backends.
 *   npx -y pnpm@12.4.2 exec tsx examples/autograd-basics.ts
 */
import * as r from "@r1ts/core";

export async function autogradBasics(): Promise<{ loss: number; gradW: number[][]; liveTensorsAfter: number }> {
  await r.setBackend("auto"); // the best registered backend that starts here; the reference backend always does
  console.log("backend:", r.lastBackendSelection()?.chosen);

  const before = r.memory().numTensors;
  const x = r.tensor([[1, 2], [3, 4]]); // f32 [2, 2]
  const w = r.variable(r.tensor([[0.5, -1], [2, 0.25]]), "w"); // a named trainable parameter

  // Gradient of a scalar loss with respect to w; every intermediate is freed.
  const { value, grads } = r.valueAndGradsOf(() => r.mean(r.square(r.matmul(x, w))), [w]);
  const loss = value.itemSync();
  const gradW = (await grads[0].array()) as number[][];
  console.log("loss", loss, "dloss/dw", gradW);

  // tidy() frees everything made inside except what is returned.
  const probs = r.tidy(() => r.softmax(r.matmul(x, w)));
  console.log("softmax rows", await probs.array());

  r.dispose([x, w, value, grads, probs]);
  const liveTensorsAfter = r.memory().numTensors - before;
  console.log("tensors left behind:", liveTensorsAfter);
  return { loss, gradW, liveTensorsAfter };
}

if (import.meta.url === `file://${process.argv[1]}`) await autogradBasics();
