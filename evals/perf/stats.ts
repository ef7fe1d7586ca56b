/**
 * Small statistics and reporting helpers for the performance benchmarks: percentiles over
 * latency samples and the `metric | SAM | baseline | ratio | goal | met?` table.
 */

/** Summary of a set of samples, all in the samples' unit (milliseconds for latencies). */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The `p`-th percentile (0..100) of `sorted` (ascending), nearest-rank method.
 * Returns NaN for an empty array. Unit: the samples' unit.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

/** Summarizes `samples` (any order; not modified). Every field is in the samples' unit. */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0] : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

/** The median of `values` (any order), in their unit; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rounds `value` to `digits` decimals (keeps NaN/Infinity as they are). */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** One row of a benchmark table. `goal` is a human-readable target; `met` null means "no goal". */
export interface Row {
  metric: string;
  sam: number | string;
  baseline: number | string;
  /** SAM divided by baseline (dimensionless). */
  ratio: number | string;
  goal: string;
  met: boolean | null;
}

function cell(value: number | string | boolean | null): string {
  if (value === null) return "";
  if (typeof value === "boolean") return value ? "yes" : "NO";
  if (typeof value === "number") return Number.isFinite(value) ? String(round(value, 2)) : String(value);
  return value;
}

/** Renders rows as a plain-text table with a title line (returns the text; prints nothing). */
export function formatTable(title: string, rows: readonly Row[]): string {
  const header = ["metric", "SAM", "baseline", "ratio", "goal", "met?"];
  const body = rows.map((r) => [r.metric, cell(r.sam), cell(r.baseline), cell(r.ratio), r.goal, cell(r.met)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => line[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ");
  const rule = widths.map((w) => "-".repeat(w)).join("-|-");
  return [`\n## ${title}`, line(header), rule, ...body.map(line)].join("\n");
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Races `promise` against a timeout of `ms` milliseconds; rejects with `what` in the message
 * when the time runs out. The timer never keeps the process alive.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
