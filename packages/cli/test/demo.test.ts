/**
 * `r1ts demo` in its shortened CI form (2 steps, 8 held-out problems, reference backend): the same code
 * path as the full demo. Checks the summary line, the run directory, determinism for a seed, and that
 * report.html draws its charts in a real headless Chromium without console errors.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { r1ts } from "./helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
let root: string;
let first: Record<string, unknown>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "r1ts-demo-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const demo = (dir: string) => r1ts("demo", "--steps", "2", "--held-out", "8", "--backend", "reference", "--out", dir, "--json");

describe("r1ts demo (short)", () => {
  it("trains, evaluates before and after, and prints summary.json as the last stdout line", async () => {
    const { code, stdout, stderr } = await demo(join(root, "a"));
    expect(code).toBe(0);
    first = JSON.parse(stdout.at(-1)!);
    expect(first).toMatchObject({ task: "arithmetic", backend: "reference", steps: 2, heldOutProblems: 8 });
    for (const key of ["seconds", "heldOutAccuracyBefore", "heldOutAccuracyAfter", "formatRateBefore", "formatRateAfter", "rewardFirst", "rewardLast"]) {
      expect(typeof first[key], key).toBe("number");
    }
    for (const key of ["heldOutAccuracyBefore", "heldOutAccuracyAfter", "formatRateBefore", "formatRateAfter", "rewardFirst", "rewardLast"]) {
      expect(first[key] as number).toBeGreaterThanOrEqual(0);
      expect(first[key] as number).toBeLessThanOrEqual(1);
    }
    expect(stderr).toContain("held-out accuracy");
    expect(stderr).toMatch(/step 2\/2/);
    const dir = join(root, "a");
    for (const f of ["config.json", "metrics.jsonl", "evals.jsonl", "samples.jsonl", "summary.json", "report.html", "checkpoints/step-000002/model.safetensors"]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    const metrics = (await readFile(join(dir, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(metrics.map((m) => m.step)).toEqual([0, 1]);
    expect(JSON.parse(await readFile(join(dir, "summary.json"), "utf8"))).toEqual(first);
    const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
    expect(config).toMatchObject({ trainer: "grpo", grpo: { groupSize: 8, beta: 0 }, rewards: [{ name: "accuracy" }, { name: "format" }] });
  }, 300_000);

  it("gives the same result for the same seed on the same backend", async () => {
    const { stdout } = await demo(join(root, "b"));
    const second = JSON.parse(stdout.at(-1)!);
    const stable = (s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).filter(([k]) => !["seconds", "peakRssMiB", "runDir", "finalCheckpoint"].includes(k)));
    expect(stable(second)).toEqual(stable(first));
    const metrics = async (d: string) => (await readFile(join(root, d, "metrics.jsonl"), "utf8")).trim().split("\n").map((l) => {
      const m = JSON.parse(l);
      for (const k of Object.keys(m)) if (k.endsWith("Seconds")) delete m[k];
      return m;
    });
    expect(await metrics("b")).toEqual(await metrics("a"));
  }, 300_000);

  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("report.html draws its charts in headless Chromium with no console errors", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`file://${join(root, "a", "report.html")}`);
      const charts = await page.$$eval("figure.chart", (figs) =>
        figs.map((f) => ({ id: f.id, drawn: f.getAttribute("data-drawn"), paths: [...f.querySelectorAll("path.series")].map((p) => p.getAttribute("d") ?? "") })),
      );
      expect(charts.map((c) => c.id)).toEqual(["chart-reward", "chart-accuracy", "chart-kl", "chart-length"]);
      for (const c of charts) {
        expect(c.drawn, c.id).toBe("true");
        expect(c.paths.length, c.id).toBeGreaterThan(0);
        // Every series has at least two points (two steps, or before and after).
        for (const d of c.paths) expect(d).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+/);
      }
      expect(await page.locator("table.before-after tr").count()).toBe(4);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
