/**
 * The stored shapes of a mission, as plain data: the mission row, a plan entry row, the part of
 * an entry's request its task starts with, and the `MissionView` built from them. Pure (no
 * storage, no `agents`): the scheduler, the summary and the tests read these shapes alone.
 */
import type { z } from "zod";
import { missionTaskRequestSchema } from "../../shared/mission-plan.ts";
import type { MissionStatus, MissionTaskStatus, MissionView, Usage } from "../../shared/protocol.ts";

/** The `mission` table's one row. Times are ISO 8601; `budget_usd` in USD (null: no mission budget). */
export type MissionRow = {
  id: string;
  project_id: string;
  user_id: string;
  goal: string;
  status: MissionStatus;
  max_concurrent: number;
  max_retries: number;
  session_id: string | null;
  budget_usd: number | null;
  summary: string | null;
  /** Why the mission failed or was cancelled. */
  error: string | null;
  /** 1 once the summary reached the project's chat, else 0. */
  summary_posted: number;
  created_at: string;
  updated_at: string;
};

/**
 * A plan entry as the scheduler reads it, without its bulky spec and handoff (read only when a
 * task starts). `depends_on_json` is a JSON array of keys (read it with `dependsOn`); `attempts`
 * counts attempts started; tokens and `cost_usd` (USD) add up every finished attempt.
 */
export type EntryRow = {
  key: string;
  ord: number;
  prompt: string;
  depends_on_json: string;
  status: MissionTaskStatus;
  /** The current attempt's task id: chosen (and journaled) before the task is started; null before that. */
  task_id: string | null;
  attempts: number;
  error: string | null;
  summary: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
};

/** What an entry's task starts with besides its prompt (stored as the entry's `spec_json`). */
export const entrySpecSchema = missionTaskRequestSchema.pick({ model: true, script: true, workspace: true, maxSteps: true, runtime: true, repo: true });
/** An entry's spec (see `entrySpecSchema`). */
export type EntrySpec = z.infer<typeof entrySpecSchema>;

/** The keys an entry depends on, parsed from its `depends_on_json`. */
export function dependsOn(entry: Pick<EntryRow, "depends_on_json">): string[] {
  return JSON.parse(entry.depends_on_json) as string[];
}

/** Tokens and USD summed over the entries' finished attempts. */
export function totalUsage(entries: readonly EntryRow[]): Usage {
  return entries.reduce(
    (sum, e) => ({ inputTokens: sum.inputTokens + e.input_tokens, outputTokens: sum.outputTokens + e.output_tokens, costUsd: sum.costUsd + e.cost_usd }),
    { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
}

/** The mission as the API and the `mission.updated` frame show it, from its row and its entries in plan order. */
export function missionView(row: MissionRow, entries: readonly EntryRow[]): MissionView {
  return {
    id: row.id,
    projectId: row.project_id,
    goal: row.goal,
    status: row.status,
    tasks: entries.map((e) => ({
      key: e.key,
      prompt: e.prompt,
      taskId: e.task_id,
      status: e.status,
      dependsOn: dependsOn(e),
      attempts: e.attempts,
      error: e.error,
      usage: { inputTokens: e.input_tokens, outputTokens: e.output_tokens, costUsd: e.cost_usd },
    })),
    maxConcurrent: row.max_concurrent,
    maxRetries: row.max_retries,
    budgetUsd: row.budget_usd,
    summary: row.summary,
    error: row.error,
    usage: totalUsage(entries),
    createdBy: row.user_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
