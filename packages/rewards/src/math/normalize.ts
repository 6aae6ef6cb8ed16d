/** Cleans an answer string before parsing it as mathematics (LaTeX or plain text). */

/** Strips math delimiters, spacing commands, `\left`/`\right`, `\text{}`, degree signs, thousands separators, `x =`. */
export function normalizeAnswer(raw: string): string {
  let s = raw.trim();
  s = s.replace(/^\$+|\$+$/g, "").replace(/^\\\(|\\\)$/g, "").replace(/^\\\[|\\\]$/g, "").trim();
  s = s.replace(/\\(?:left|right)(?=[()[\]|.]|\\[{}])/g, "");
  s = s.replace(/\\[,;:! ]/g, "").replace(/~/g, " ");
  s = s.replace(/\\[dt]frac/g, "\\frac");
  s = s.replace(/\^\s*\{?\s*\\circ\s*\}?/g, "").replace(/°/g, "");
  s = s.replace(/\\(?:text|textbf|mathrm|mbox)\s*\{([^{}]*)\}/g, "$1");
  s = s.replace(/\s+/g, " ").trim();
  s = s.replace(/[.。]$/, "").trim();
  // "x = 5" or "y=\frac12": the value after a lone variable's "=".
  const assignment = /^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*(.+)$/.exec(s);
  if (assignment && !assignment[1].includes("=")) s = assignment[1].trim();
  // 12,345 or 1,000,000.5 -> no separators.
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, "");
  return s;
}

/** An integer, decimal or simple fraction `a/b` as a number; null for anything else. */
export function plainNumber(s: string): number | null {
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return Number(s);
  const fraction = /^([-+]?\d+)\s*\/\s*(\d+)$/.exec(s) ?? /^([-+]?)\\frac\{(\d+)\}\{(\d+)\}$/.exec(s);
  if (fraction === null) return null;
  if (fraction.length === 4) {
    const v = Number(fraction[2]) / Number(fraction[3]);
    return fraction[1] === "-" ? -v : v;
  }
  return Number(fraction[1]) / Number(fraction[2]);
}
