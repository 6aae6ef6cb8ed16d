/** One progress line per training step (redrawn in place on a terminal): stage, step, reward or loss, accuracy, time. */
import type { PipelineProgress } from "@r1ts/core";

const bar = (fraction: number, width = 24): string => {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return "#".repeat(full) + "-".repeat(width - full);
};
const clock = (s: number | undefined): string => (s !== undefined && Number.isFinite(s) ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s` : "?");

export interface ProgressOptions {
  /** The reward whose rollout mean is shown as accuracy (the config's eval.correctness). */
  correctness?: string;
  /** Prefix lines with `[index/total stage]` (pipelines). */
  showStage?: boolean;
}

export function progressPrinter({ correctness, showStage = false }: ProgressOptions = {}, stream: NodeJS.WriteStream = process.stderr): (p: PipelineProgress) => void {
  return ({ stage, index, total, step, steps, metrics = {}, elapsedSeconds, etaSeconds }) => {
    const acc = correctness === undefined ? undefined : metrics[`rewards/${correctness}/mean`];
    const parts = [
      showStage ? `[${index + 1}/${total} ${stage}]` : "",
      `step ${String(step + 1).padStart(String(steps).length)}/${steps} [${bar((step + 1) / steps)}]`,
      metrics.reward !== undefined ? `reward ${metrics.reward.toFixed(3)}` : metrics.loss !== undefined ? `loss ${metrics.loss.toFixed(4)}` : "",
      acc !== undefined ? `accuracy ${(acc * 100).toFixed(1)}%` : "",
      elapsedSeconds !== undefined ? `elapsed ${clock(elapsedSeconds)}` : "",
      etaSeconds !== undefined ? `left ${clock(etaSeconds)}` : "",
    ].filter(Boolean);
    const line = parts.join("  ");
    if (stream.isTTY) stream.write(`\r${line}\x1b[K${step + 1 === steps ? "\n" : ""}`);
    else stream.write(`${line}\n`);
  };
}
