/**
 * report.html: one self-contained page (inline CSS and script, no network) with the run's summary, the
 * before/after table, curves of reward, held-out accuracy, KL and completion length, and sample
 * completions. The data is embedded as JSON; a small script draws each chart as SVG when the page loads.
 */

export interface ReportInput {
  title: string;
  summary: Record<string, unknown>;
  /** metrics.jsonl rows. */
  metrics: readonly Record<string, unknown>[];
  /** evals.jsonl rows ({ step, phase, accuracy, format, meanLength, ... }). */
  evals: readonly Record<string, unknown>[];
  /** A few sample completions. */
  samples: readonly { step: number; prompt: string; completion: string; reward: number | null }[];
  /** Rows of the before/after table: [label, before, after]. */
  table: readonly [string, string, string][];
}

/** A chart: a title and series read from metrics (`source: "metrics"`) or evals, by key. */
interface ChartSpec {
  id: string;
  title: string;
  source: "metrics" | "evals";
  series: { key: string; label: string }[];
}

export function chartSpecs(metrics: readonly Record<string, unknown>[]): ChartSpec[] {
  const keys = new Set(metrics.flatMap((m) => Object.keys(m)));
  const rewardSeries = [{ key: "reward", label: "total" }, ...[...keys].filter((k) => /^rewards\/.+\/mean$/.test(k)).map((k) => ({ key: k, label: k.slice(8, -5) }))];
  const charts: ChartSpec[] = [
    { id: "reward", title: "Reward (mean over rollouts)", source: "metrics", series: rewardSeries },
    { id: "accuracy", title: "Held-out accuracy and format rate", source: "evals", series: [{ key: "accuracy", label: "accuracy" }, { key: "format", label: "format" }] },
    keys.has("kl")
      ? { id: "kl", title: "KL to the reference (k3)", source: "metrics", series: [{ key: "kl", label: "kl" }] }
      : { id: "kl", title: "Policy entropy (no KL term: beta = 0)", source: "metrics", series: [{ key: "entropy", label: "entropy" }] },
    { id: "length", title: "Completion length (tokens)", source: "metrics", series: [{ key: "completions/mean_length", label: "mean" }, { key: "completions/max_length", label: "max" }, { key: "completions/min_length", label: "min" }] },
  ];
  return charts;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x)).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

export function renderReport(input: ReportInput): string {
  const charts = chartSpecs(input.metrics);
  const data = { metrics: input.metrics, evals: input.evals, charts };
  const table = input.table.map(([label, before, after]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(before)}</td><td>${escapeHtml(after)}</td></tr>`).join("");
  const samples = input.samples
    .map((s) => `<tr><td>${s.step}</td><td><code>${escapeHtml(s.prompt)}</code></td><td><pre>${escapeHtml(s.completion)}</pre></td><td>${s.reward === null ? "n/a" : s.reward.toFixed(2)}</td></tr>`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(input.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.4rem; } table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
.charts { display: grid; grid-template-columns: repeat(2, 1fr); gap: 1rem; } figure.chart { margin: 0; border: 1px solid #ddd; padding: 8px; }
figcaption { font-weight: 600; } svg { width: 100%; height: 220px; } .legend span { margin-right: 12px; } pre { margin: 0; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<table class="before-after"><tr><th></th><th>before</th><th>after</th></tr>${table}</table>
<div class="charts">${charts.map((c) => `<figure class="chart" id="chart-${c.id}"><figcaption>${escapeHtml(c.title)}</figcaption><svg viewBox="0 0 500 220" preserveAspectRatio="none" role="img" aria-label="${escapeHtml(c.title)}"></svg><div class="legend"></div></figure>`).join("")}</div>
<h2>Sample completions</h2>
<table class="samples"><tr><th>step</th><th>prompt</th><th>completion</th><th>reward</th></tr>${samples}</table>
<h2>Summary</h2>
<pre id="summary">${escapeHtml(JSON.stringify(input.summary, null, 2))}</pre>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
  var NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    parent.appendChild(e);
    return e;
  }
  data.charts.forEach(function (chart) {
    var fig = document.getElementById("chart-" + chart.id);
    var svg = fig.querySelector("svg");
    var rows = data[chart.source];
    var series = chart.series.map(function (s) {
      return { label: s.label, points: rows.filter(function (r) { return typeof r[s.key] === "number" && typeof r.step === "number"; }).map(function (r) { return [r.step, r[s.key]]; }) };
    }).filter(function (s) { return s.points.length > 0; });
    var all = [].concat.apply([], series.map(function (s) { return s.points; }));
    if (all.length === 0) { el("text", { x: 250, y: 110, "text-anchor": "middle", fill: "#888" }, svg).textContent = "no data"; fig.dataset.drawn = "empty"; return; }
    var xs = all.map(function (p) { return p[0]; }), ys = all.map(function (p) { return p[1]; });
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs), y0 = Math.min(0, Math.min.apply(null, ys)), y1 = Math.max.apply(null, ys);
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) y1 = y0 + 1;
    var L = 40, R = 490, T = 10, B = 195;
    var sx = function (x) { return L + (x - x0) / (x1 - x0) * (R - L); }, sy = function (y) { return B - (y - y0) / (y1 - y0) * (B - T); };
    el("line", { x1: L, y1: B, x2: R, y2: B, stroke: "#999" }, svg);
    el("line", { x1: L, y1: T, x2: L, y2: B, stroke: "#999" }, svg);
    [[y0, B], [y1, T]].forEach(function (t) { el("text", { x: L - 4, y: t[1] + 4, "text-anchor": "end", "font-size": 10 }, svg).textContent = +t[0].toPrecision(3); });
    [[x0, L, "start"], [x1, R, "end"]].forEach(function (t) { el("text", { x: t[1], y: B + 14, "text-anchor": t[2], "font-size": 10 }, svg).textContent = "step " + t[0]; });
    var legend = fig.querySelector(".legend");
    series.forEach(function (s, i) {
      var d = s.points.map(function (p, j) { return (j ? "L" : "M") + sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1); }).join(" ");
      el("path", { d: d, fill: "none", stroke: colors[i % colors.length], "stroke-width": 1.5, "class": "series" }, svg);
      s.points.forEach(function (p) { if (s.points.length < 40) el("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: colors[i % colors.length] }, svg); });
      var span = document.createElement("span");
      span.style.color = colors[i % colors.length];
      span.textContent = "\\u25A0 " + s.label;
      legend.appendChild(span);
    });
    fig.dataset.drawn = "true";
  });
})();
</script>
</body>
</html>
`;
}
