/**
 * The webgpu backend in a few lines: pick it, train a linear map for a few steps on the GPU, read the
 * loss back only when asked, run the FP8 GEMM on block-quantised operands, and release the device.
 *
 *   npx -y pnpm@12.4.2 exec tsx packages/backend-webgpu/examples/webgpu-basics.ts
 */
import { fp8Gemm, getBackend, matmul, mean, mul, quantizeActivations, quantizeWeights, setBackend, square, sub, tensor, tidy, valueAndGradsOf, variable } from "@r1ts/core";
import { fp8Matmul, uploadBlockQuantized } from "@r1ts/backend-webgpu";
import type { WebGPUBackend } from "@r1ts/backend-webgpu";

export async function webgpuBasics(): Promise<{ adapter: string; losses: number[]; fp8MaxAbsDiff: number }> {
  const backend = (await setBackend("webgpu")) as WebGPUBackend;
  try {
    // Fit w in y = x w by gradient descent; every step stays on the GPU until the loss is read.
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const y = tensor([[1], [2], [3]]);
    const w = variable(tensor([[0], [0]]), "w");
    const losses: number[] = [];
    for (let step = 0; step < 20; step++) {
      const loss = tidy(() => {
        const { value, grads } = valueAndGradsOf(() => mean(square(sub(matmul(x, w), y))), [w]);
        w.assign(sub(w, mul(grads[0], 0.02)));
        return value;
      });
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
    for (const t of [x, y, w]) t.dispose();

    // FP8 GEMM: C = A B^T on E4M3 codes with 1 x 128 and 128 x 128 scales, equal to core's reference.
    const k = 256;
    const a = Float32Array.from({ length: 4 * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 8 * k }, (_, i) => Math.cos(i) / 8);
    const aq = quantizeActivations(a, 4, k);
    const bq = quantizeWeights(b, 8, k);
    const A = uploadBlockQuantized(backend, aq);
    const B = uploadBlockQuantized(backend, bq);
    const c = fp8Matmul(backend, A, B);
    const gpu = (await c.data()) as Float32Array;
    const host = fp8Gemm(aq, bq);
    const fp8MaxAbsDiff = Math.max(...gpu.map((v, i) => Math.abs(v - host[i])));
    for (const t of [c, A.codes, A.scales, B.codes, B.scales]) t.dispose();

    return { adapter: String(backend.describe?.().device), losses, fp8MaxAbsDiff };
  } finally {
    await setBackend("reference");
    (await getBackend("webgpu")).destroy?.();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { adapter, losses, fp8MaxAbsDiff } = await webgpuBasics();
  console.log(`adapter: ${adapter}`);
  console.log(`loss: ${losses[0].toFixed(4)} -> ${losses[losses.length - 1].toFixed(4)}`);
  console.log(`FP8 GEMM, largest difference from core's reference: ${fp8MaxAbsDiff}`);
}
