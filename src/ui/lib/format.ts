/** Small display formatters. */
import type { TaskStatus, Usage } from "../../shared/protocol.ts";

/** A short local date-time, or the raw text when it is not a date. */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

/** Milliseconds as "850 ms" / "2.4 s" / "3 m 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} m ${String(seconds).padStart(2, "0")} s`;
}

/** A USD amount with enough precision for fractions of a cent. */
export function formatUsd(value: number): string {
  if (value === 0) return "$0.00";
  if (value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

/** Token counts and cost on one line. */
export function formatUsage(usage: Usage): string {
  const n = (x: number) => x.toLocaleString();
  return `${n(usage.inputTokens)} in · ${n(usage.outputTokens)} out · ${formatUsd(usage.costUsd)}`;
}

/** Pretty JSON of any value (strings stay as they are). */
export function prettyJson(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

/** Whether a task in this status can still be cancelled. */
export function isCancellable(status: TaskStatus): boolean {
  return status === "queued" || status === "running" || status === "waiting";
}
