/**
 * Handoffs between a mission's tasks: what a finished task hands to the tasks that depend on it
 * (its summary, the paths it changed, and the contents of some of them), and the task spec a
 * dependent task starts with (its prompt followed by the handoffs, the handed files in its
 * workspace). Pure except `collectHandoff`, which reads files through the function it is given.
 */
import { z } from "zod";
import type { TaskLimits } from "../../shared/limits.ts";
import type { TaskView } from "../../shared/protocol.ts";
import type { TaskSpec } from "../../shared/task-spec.ts";
import type { EntryRow, EntrySpec, MissionRow } from "./rows.ts";

/** At most this many changed files of a finished task are copied into its dependents' workspaces (the first ones listed). */
export const HANDOFF_MAX_FILES = 50;
/** At most this many bytes (characters of content) are copied in all; a file that would pass it is left out. */
export const HANDOFF_MAX_BYTES = 512 * 1024;

/** What a finished task hands to the tasks that depend on it (stored as the entry's `handoff_json`). */
export const handoffSchema = z.object({
  key: z.string(),
  taskId: z.string(),
  summary: z.string(),
  /** Every path the task changed, copied or not. */
  changedFiles: z.array(z.string()),
  /** Path → content of the files copied (within HANDOFF_MAX_FILES and HANDOFF_MAX_BYTES). */
  files: z.record(z.string(), z.string()),
});
/** A handoff (see `handoffSchema`). */
export type Handoff = z.infer<typeof handoffSchema>;

/** Reads one file of the finished task's workspace (`TaskAgent.readFile`); `ok: false` when it cannot. */
export type ReadTaskFile = (path: string) => Promise<{ ok: true; content: string } | { ok: false }>;

/**
 * The handoff of plan entry `key` whose task ended as `view`: its summary ("" when none), every
 * changed path, and the contents of the first HANDOFF_MAX_FILES changed files, read one by one
 * with `readFile`, skipping a file that cannot be read or would bring the total past
 * HANDOFF_MAX_BYTES (a later, smaller one may still fit). Rejects when `readFile` rejects.
 */
export async function collectHandoff(key: string, view: Pick<TaskView, "id" | "summary" | "changedFiles">, readFile: ReadTaskFile): Promise<Handoff> {
  const files: Record<string, string> = {};
  let bytes = 0;
  for (const path of view.changedFiles.slice(0, HANDOFF_MAX_FILES)) {
    const file = await readFile(path);
    if (!file.ok || bytes + file.content.length > HANDOFF_MAX_BYTES) continue;
    bytes += file.content.length;
    files[path] = file.content;
  }
  return { key, taskId: view.id, summary: view.summary ?? "", changedFiles: view.changedFiles, files };
}

/**
 * The prompt a dependent task gets: its own, then for each handoff (in the order given) the
 * dependency's key, task id, summary, changed files and which of them were copied into the
 * workspace. The prompt alone when there are no handoffs.
 */
export function withHandoffs(prompt: string, handoffs: readonly Handoff[]): string {
  if (handoffs.length === 0) return prompt;
  const parts = handoffs.map((h) => {
    const copied = Object.keys(h.files);
    return [
      `Handoff from task "${h.key}" (${h.taskId}), which this task depends on:`,
      `Summary: ${h.summary || "(none)"}`,
      `Changed files: ${h.changedFiles.join(", ") || "(none)"}${copied.length ? ` — copied into your workspace: ${copied.join(", ")}` : ""}`,
    ].join("\n");
  });
  return `${prompt}\n\n${parts.join("\n\n")}`;
}

/**
 * The spec `TaskAgent.start` gets for an entry's current attempt (task id `taskId`): the prompt
 * with the handoffs, a workspace of the handed files overlaid by the entry's own seed files (a
 * later handoff wins over an earlier one, the seed over both), the mission's ids and budget, and
 * the project's `settings` when known (the task fetches them itself otherwise).
 */
export function attemptTaskSpec(
  mission: MissionRow,
  entry: Pick<EntryRow, "prompt">,
  taskId: string,
  spec: EntrySpec,
  handoffs: readonly Handoff[],
  settings?: { policies: string[]; limits: TaskLimits },
): TaskSpec {
  const files: Record<string, string> = {};
  for (const handoff of handoffs) Object.assign(files, handoff.files);
  Object.assign(files, spec.workspace?.files ?? {});
  return {
    id: taskId,
    projectId: mission.project_id,
    userId: mission.user_id,
    prompt: withHandoffs(entry.prompt, handoffs),
    model: spec.model,
    script: spec.script,
    workspace: { files },
    maxSteps: spec.maxSteps,
    runtime: spec.runtime,
    repo: spec.repo,
    missionId: mission.id,
    missionBudgetUsd: mission.budget_usd,
    sessionId: mission.session_id ?? undefined,
    policies: settings?.policies,
    limits: settings?.limits,
  };
}
