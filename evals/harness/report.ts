/**
 * The eval report: its JSON shape (stable — other tools read it; checked by `reportSchema`),
 * the per-task summary with repeats (mean pass rate and spread), the text table printed at the
 * end, and the HTML report with charts (Chart.js, inlined so the file works offline).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { z } from "zod";

/** One run of one task, as the JSON holds it. */
export const runResultSchema = z.object({
  id: z.string(),
  kind: z.string(),
  language: z.string(),
  /** 1-based repeat number. */
  run: z.number().int().positive(),
  /** The grader exited 0 (and the run started the child tasks it had to). */
  passed: z.boolean(),
  /** Model steps, over the task and its child tasks (or the mission's tasks). */
  turns: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  /** From submission to the end of the agent's run (grading excluded), in ms. */
  wallMs: z.number().nonnegative(),
  /** The SAM task (or mission) that ran it; "" when SAM refused to start it. */
  taskId: z.string(),
  /** How the agent's run ended (succeeded, failed, cancelled...), or `error` when it could not run. */
  status: z.string(),
  /** The grader's exit code (null when it could not run) and the end of its output. */
  gradeExitCode: z.number().int().nullable(),
  gradeOutput: z.string(),
});

/**
 * The report (`--out FILE`): `{model, startedAt, passRate, tasks: [...]}` as the issue fixes it,
 * plus what a reader needs to trust it: when it finished, the repeats, the totals and whether a
 * budget stopped it (`stopped`: null, or why it stopped early).
 */
export const reportSchema = z.object({
  model: z.string(),
  /** ISO 8601. */
  startedAt: z.string(),
  /** Passed runs / runs, 0..1 (0 when nothing ran). */
  passRate: z.number().min(0).max(1),
  tasks: z.array(runResultSchema),
  /** `oracle` or `empty` for the scripted model's reference and do-nothing runs; null otherwise. */
  script: z.enum(["oracle", "empty"]).nullable(),
  repeat: z.number().int().positive(),
  finishedAt: z.string().nullable(),
  totals: z.object({ runs: z.number(), passed: z.number(), turns: z.number(), toolCalls: z.number(), inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number(), wallMs: z.number() }),
  /** Runs that could not run at all (SAM refused the start...), with the reason. */
  errors: z.array(z.object({ id: z.string(), run: z.number(), message: z.string() })),
  stopped: z.string().nullable(),
});
export type Report = z.infer<typeof reportSchema>;
export type RunResultRow = z.infer<typeof runResultSchema>;

/** A task's runs summed up: pass rate (mean over repeats) with its spread, and mean figures. */
export interface TaskSummary {
  id: string;
  kind: string;
  language: string;
  runs: number;
  passRate: number;
  /** Standard deviation of the per-run pass (0/1) over repeats; 0 with one run. */
  passSpread: number;
  turns: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  wallMs: number;
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
const spread = (values: number[]) => {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
};

/** Per-task summaries of `rows`, in first-seen order. */
export function summarise(rows: RunResultRow[]): TaskSummary[] {
  const ids = [...new Set(rows.map((r) => r.id))];
  return ids.map((id) => {
    const runs = rows.filter((r) => r.id === id);
    const passes = runs.map((r) => (r.passed ? 1 : 0));
    return {
      id,
      kind: runs[0].kind,
      language: runs[0].language,
      runs: runs.length,
      passRate: mean(passes),
      passSpread: spread(passes),
      turns: mean(runs.map((r) => r.turns)),
      toolCalls: mean(runs.map((r) => r.toolCalls)),
      inputTokens: mean(runs.map((r) => r.inputTokens)),
      outputTokens: mean(runs.map((r) => r.outputTokens)),
      costUsd: mean(runs.map((r) => r.costUsd)),
      wallMs: mean(runs.map((r) => r.wallMs)),
    };
  });
}

/** The totals of `rows` (sums; wallMs is the sum of the runs' wall times). */
export function totals(rows: RunResultRow[]): Report["totals"] {
  const sum = (pick: (r: RunResultRow) => number) => rows.reduce((a, r) => a + pick(r), 0);
  return {
    runs: rows.length,
    passed: rows.filter((r) => r.passed).length,
    turns: sum((r) => r.turns),
    toolCalls: sum((r) => r.toolCalls),
    inputTokens: sum((r) => r.inputTokens),
    outputTokens: sum((r) => r.outputTokens),
    costUsd: sum((r) => r.costUsd),
    wallMs: sum((r) => r.wallMs),
  };
}

/** Pads a table's columns; the first `textColumns` left-aligned (text), the others right-aligned (figures). */
function table(header: string[], rows: string[][], textColumns = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < textColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

const pct = (rate: number) => `${Math.round(rate * 100)}%`;
const usd = (value: number) => `$${value.toFixed(4)}`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report as a text table: one row per task (mean over repeats, ± spread) and a total row. */
export function textTable(report: Report): string[] {
  const rows = summarise(report.tasks).map((s) => [
    s.id,
    s.kind,
    s.language,
    s.runs > 1 ? `${pct(s.passRate)} ±${pct(s.passSpread)}` : s.passRate === 1 ? "pass" : "FAIL",
    s.turns.toFixed(1),
    s.toolCalls.toFixed(1),
    String(Math.round(s.inputTokens)),
    String(Math.round(s.outputTokens)),
    usd(s.costUsd),
    secs(s.wallMs),
  ]);
  const t = report.totals;
  rows.push(["total", "", "", `${t.passed}/${t.runs} ${pct(report.passRate)}`, String(t.turns), String(t.toolCalls), String(t.inputTokens), String(t.outputTokens), usd(t.costUsd), secs(t.wallMs)]);
  return table(["task", "kind", "language", "passed", "turns", "tool calls", "input tok", "output tok", "USD", "wall"], rows, 3);
}

/** Several reports side by side: per task, each model's pass rate, USD and wall time. */
export function comparisonTable(reports: Report[]): string[] {
  const summaries = reports.map((r) => new Map(summarise(r.tasks).map((s) => [s.id, s])));
  const ids = [...new Set(reports.flatMap((r) => r.tasks.map((t) => t.id)))];
  const header = ["task", ...reports.flatMap((r) => [`${r.model} passed`, "USD", "wall"])];
  const rows = ids.map((id) => [
    id,
    ...summaries.flatMap((m) => {
      const s = m.get(id);
      return s ? [pct(s.passRate), usd(s.costUsd), secs(s.wallMs)] : ["-", "-", "-"];
    }),
  ]);
  rows.push(["total", ...reports.flatMap((r) => [pct(r.passRate), usd(r.totals.costUsd), secs(r.totals.wallMs)])]);
  return table(header, rows);
}

/** Escapes text for HTML. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** Chart.js's UMD build, read once (inlined into reports so they need no network). */
let chartJs: string | null = null;
function chartLibrary(): string {
  // The package exports only its module entries; the UMD build sits beside them in dist/.
  chartJs ??= readFileSync(join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8");
  return chartJs;
}

/**
 * A self-contained HTML page: a title, the table(s) as `<pre>`, and bar charts (pass rate, USD
 * and wall time per task, one series per report). Data is embedded as JSON in a
 * `<script type="application/json">` element and drawn with Chart.js.
 */
export function htmlReport(reports: Report[], title: string): string {
  const ids = [...new Set(reports.flatMap((r) => r.tasks.map((t) => t.id)))];
  const series = reports.map((r) => {
    const byId = new Map(summarise(r.tasks).map((s) => [s.id, s]));
    const pick = (f: (s: TaskSummary) => number) => ids.map((id) => (byId.has(id) ? f(byId.get(id)!) : null));
    return { label: r.model + (r.script ? ` (${r.script})` : ""), passRate: pick((s) => s.passRate * 100), costUsd: pick((s) => s.costUsd), wallS: pick((s) => s.wallMs / 1000) };
  });
  const tables = reports.length === 1 ? textTable(reports[0]) : comparisonTable(reports);
  const data = JSON.stringify({ ids, series }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;max-width:1100px}pre{background:#f5f5f5;padding:1rem;overflow:auto}.chart{height:320px;margin:1.5rem 0}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>${reports.map((r) => `${escapeHtml(r.model)}${r.script ? ` (${r.script})` : ""}: ${r.totals.passed}/${r.totals.runs} passed, ${usd(r.totals.costUsd)}, started ${escapeHtml(r.startedAt)}${r.stopped ? `, stopped early: ${escapeHtml(r.stopped)}` : ""}`).join("<br>")}</p>
<pre>${escapeHtml(tables.join("\n"))}</pre>
<div class="chart"><canvas id="pass"></canvas></div>
<div class="chart"><canvas id="cost"></canvas></div>
<div class="chart"><canvas id="wall"></canvas></div>
<script type="application/json" id="data">${data}</script>
<script>${chartLibrary()}</script>
<script>
const d = JSON.parse(document.getElementById("data").textContent);
const draw = (id, key, label) => new Chart(document.getElementById(id), {
  type: "bar",
  data: { labels: d.ids, datasets: d.series.map((s) => ({ label: s.label, data: s[key] })) },
  options: { maintainAspectRatio: false, plugins: { title: { display: true, text: label } } },
});
draw("pass", "passRate", "pass rate (%)");
draw("cost", "costUsd", "USD per run");
draw("wall", "wallS", "wall time per run (s)");
</script>
</body></html>
`;
}
