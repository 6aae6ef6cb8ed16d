/**
 * The loss of logit-level distillation (Hinton et al. 2015, "Distilling the Knowledge in a Neural
 * Network", §2): next-token cross-entropy on the completion tokens plus the KL divergence from the
 * teacher's to the student's next-token distribution, both softened by a temperature T:
 *
 *   kl_t = sum_v p_T(v) (log p_T(v) - log p_S(v)),  p = softmax(logits / T)
 *   loss = CE + klWeight * T^2 * (sum_t m_t kl_t) / (sum_t m_t)
 *
 * The T^2 factor keeps the soft term's gradient on the same scale as the CE's when T changes
 * (d kl / d z_S = (p_S - p_T) / T). The teacher's logits carry no gradient.
 */
import { crossEntropy } from "../../ops/fused/index.ts";
import { add, div, exp, maximum, mul, stopGradient, sub } from "../../ops/elementwise.ts";
import { reshape } from "../../ops/layout.ts";
import { sum } from "../../ops/reduce.ts";
import { logSoftmax } from "../../ops/softmax.ts";
import type { Tensor } from "../../tensor/tensor.ts";

export interface LogitKlOptions {
  /** Weight of the KL term (0 = plain SFT). */
  klWeight: number;
  temperature: number;
}

export interface DistillationLoss {
  loss: Tensor;
  ce: Tensor;
  kl: Tensor;
}

/** Per-position KL(p_T || p_S) of logits [..., V] at temperature T: [...]. */
export function klDivergence(teacherLogits: Tensor, studentLogits: Tensor, temperature: number): Tensor {
  const lt = logSoftmax(div(stopGradient(teacherLogits), temperature), -1);
  const ls = logSoftmax(div(studentLogits, temperature), -1);
  return sum(mul(exp(lt), sub(lt, ls)), -1);
}

/**
 * logits and teacherLogits [B, S, V], targets [B, S] i32, mask [B, S] f32 (1 = a completion token).
 * Both terms are sums over the masked-in positions divided by `activeTokens` (the mask's sum, or the
 * whole step's active tokens when gradients are accumulated over micro-batches; a scalar tensor in a
 * captured update, where it changes between steps).
 */
export function distillationLoss(logits: Tensor, teacherLogits: Tensor, targets: Tensor, mask: Tensor, activeTokens: number | Tensor, options: LogitKlOptions): DistillationLoss {
  const [b, s, v] = logits.shape;
  const n = b * s;
  const weights = reshape(mask, [n]);
  const active = typeof activeTokens === "number" ? Math.max(1e-9, activeTokens) : maximum(activeTokens, 1e-9);
  const flat = reshape(logits, [n, v]);
  const ce = div(sum(mul(crossEntropy(flat, reshape(targets, [n])), weights)), active);
  const kl = div(sum(mul(klDivergence(reshape(teacherLogits, [n, v]), flat, options.temperature), weights)), active);
  const t2 = options.temperature * options.temperature;
  return { loss: add(ce, mul(kl, options.klWeight * t2)), ce, kl };
}
