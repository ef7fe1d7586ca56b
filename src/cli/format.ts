/**
 * How the CLI shows SAM's things to a person: one line per transcript event, a task's status
 * line, a mission's plan, tables. Pure functions of the API's shapes (no colour codes: the caller
 * decides about colour), unit-tested.
 */
import type { MissionView, TaskView, TranscriptEvent } from "../shared/protocol.ts";

/** Longest tool input or output shown on one line, in characters (the rest is cut with "…"). */
export const MAX_INLINE_CHARS = 160;

/** `text` on one line (newlines shown as ⏎), cut to `max` characters. */
export function oneLine(text: string, max = MAX_INLINE_CHARS): string {
  const flat = text.replace(/\r?\n/g, " ⏎ ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A tool call's input as one short line: a `command` or `path` field when there is one, else its JSON. */
export function toolInput(input: unknown): string {
  if (input && typeof input === "object") {
    const fields = input as Record<string, unknown>;
    for (const key of ["command", "path", "question", "prompt", "summary"]) if (typeof fields[key] === "string") return oneLine(fields[key] as string);
  }
  return oneLine(JSON.stringify(input) ?? "");
}

/** USD with 4 decimals (`$0.0123`). */
export function usd(value: number): string {
  return `$${value.toFixed(4)}`;
}

/** One transcript event as readable lines (tool calls with their input, results with exit code and output). */
export function formatEvent(event: TranscriptEvent): string[] {
  switch (event.type) {
    case "status":
      return [`[${event.seq}] status → ${event.status}${event.reason ? `: ${event.reason}` : ""}`];
    case "model_step": {
      const lines = [`[${event.seq}] step ${event.step} (${event.finishReason}, ${event.usage.inputTokens}+${event.usage.outputTokens} tokens, ${usd(event.usage.costUsd)})`];
      if (event.text.trim()) lines.push(`    ${oneLine(event.text, 400)}`);
      return lines;
    }
    case "tool_call":
      return [`[${event.seq}] → ${event.toolName} ${toolInput(event.input)}`];
    case "tool_result": {
      const exit = event.exitCode === null ? "" : ` exit ${event.exitCode}`;
      const lines = [`[${event.seq}] ← ${event.toolName}${exit}${event.isError ? " (error)" : ""} in ${event.durationMs} ms`];
      if (event.output.trim()) lines.push(...event.output.trimEnd().split("\n").slice(0, 20).map((l) => `    ${oneLine(l, 200)}`));
      return lines;
    }
    case "message":
      return [`[${event.seq}] ${event.kind} from ${event.from}: ${oneLine(event.text, 400)}`];
    case "escalation":
      return [`[${event.seq}] VM ${event.phase}${event.serverType ? ` (${event.provider ?? "vm"} ${event.serverType}${event.serverId ? ` ${event.serverId}` : ""})` : ""}: ${oneLine(event.reason, 400)}`];
  }
}

/** A task's state on one line: status, steps, tokens and cost. */
export function taskLine(task: TaskView): string {
  return `${task.id} ${task.status} · ${task.steps} step${task.steps === 1 ? "" : "s"} · ${task.usage.inputTokens}+${task.usage.outputTokens} tokens · ${usd(task.usage.costUsd)}`;
}

/** A finished task's outcome in a few lines: the status line, then the summary or the failure, the changed files. */
export function taskOutcome(task: TaskView): string[] {
  const lines = [taskLine(task)];
  if (task.summary) lines.push(task.summary);
  if (task.failure) lines.push(`${task.failure.code}: ${task.failure.message}`);
  else if (task.error) lines.push(task.error);
  if (task.question && task.status === "waiting") lines.push(`question: ${task.question}`);
  if (task.changedFiles.length > 0) lines.push(`changed: ${task.changedFiles.join(", ")}`);
  return lines;
}

/** A mission's plan: its status line, then one line per task (key, status, attempts, dependencies). */
export function missionLines(mission: MissionView): string[] {
  const lines = [`${mission.id} ${mission.status} · ${mission.goal} · ${usd(mission.usage.costUsd)}`];
  for (const task of mission.tasks) {
    const after = task.dependsOn.length > 0 ? ` after ${task.dependsOn.join(", ")}` : "";
    lines.push(`  ${task.key.padEnd(16)} ${task.status.padEnd(9)} ${task.taskId ?? ""}${after}${task.error ? ` · ${oneLine(task.error, 100)}` : ""}`);
  }
  if (mission.summary) lines.push(mission.summary);
  if (mission.error) lines.push(mission.error);
  return lines;
}

/** Rows as an aligned text table with a header (columns padded to their widest cell). */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}
