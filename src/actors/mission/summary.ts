/**
 * A mission's outcome in words, the text posted once to the project's chat when the mission
 * ends and kept as `MissionView.summary`. Pure.
 */
import { totalUsage, type EntryRow, type MissionRow } from "./rows.ts";

/**
 * The summary of `mission` (its goal, status and, when cancelled, the reason) over its entries
 * in plan order: a headline with how many tasks succeeded, one line per entry (✓ with the first
 * line of its task's summary, or ✗ with its status and error; the attempt count when more than
 * one), and the cost in USD (4 decimals) and tokens.
 */
export function summaryText(mission: Pick<MissionRow, "goal" | "status" | "error">, entries: readonly EntryRow[]): string {
  const usage = totalUsage(entries);
  const lines = [`Mission "${mission.goal}" ${mission.status}: ${entries.filter((e) => e.status === "succeeded").length} of ${entries.length} tasks succeeded.`];
  for (const entry of entries) {
    const attempts = entry.attempts > 1 ? ` (after ${entry.attempts} attempts)` : "";
    if (entry.status === "succeeded") lines.push(`- ✓ ${entry.key}${attempts}: ${firstLine(entry.summary) || "done"}`);
    else lines.push(`- ✗ ${entry.key} ${entry.status}${attempts}: ${entry.error ?? "no reason recorded"}`);
  }
  lines.push(`Cost: $${usage.costUsd.toFixed(4)} (${usage.inputTokens} input and ${usage.outputTokens} output tokens).`);
  if (mission.error && mission.status === "cancelled") lines.push(`Cancelled: ${mission.error}`);
  return lines.join("\n");
}

function firstLine(text: string | null): string {
  return (text ?? "").split("\n")[0]?.trim() ?? "";
}
