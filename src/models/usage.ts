/**
 * Shapes of budgets and usage accounting, shared by the gate, `UserAgent` (which owns the
 * numbers) and the API; the gate's calls to `UserAgent` are shaped in user-actor.ts, the rules
 * in budget-rules.ts. Token counts are tokens; money is USD; times are ISO 8601 (UTC); latency
 * is ms. Daily budgets reset at 00:00 UTC, monthly ones on the 1st at 00:00 UTC.
 */
import { z } from "zod";

/** Who pays for gateway models: platform credit, or the user's own provider key. */
export const payerModeSchema = z.enum(["platform", "own-key"]);
/** `platform` or `own-key`; see {@link payerModeSchema}. */
export type PayerMode = z.infer<typeof payerModeSchema>;

/** The payer mode of a user who never chose one (an explicit default, documented). */
export const DEFAULT_PAYER_MODE: PayerMode = "platform";

/** A user's limits; null means no limit. */
export const budgetLimitsSchema = z.object({
  /** Input tokens per UTC day. */
  dailyInputTokens: z.number().int().nonnegative().nullable(),
  /** Output tokens per UTC day. */
  dailyOutputTokens: z.number().int().nonnegative().nullable(),
  /** USD per UTC calendar month. */
  monthlyUsd: z.number().nonnegative().nullable(),
});
/** `{dailyInputTokens, dailyOutputTokens, monthlyUsd}`, each a number or null (no limit). */
export type BudgetLimits = z.infer<typeof budgetLimitsSchema>;

/** `PUT /api/me/budgets`: any subset of the limits (null removes a limit). */
export const budgetUpdateSchema = budgetLimitsSchema.partial().strict();
/** A parsed `PUT /api/me/budgets` body: the limits it names (absent: unchanged; null: removed). */
export type BudgetUpdate = z.infer<typeof budgetUpdateSchema>;

/** One budget as reported: its limit, what is used (including calls in flight) and what is left. */
export interface BudgetLine {
  limit: number | null;
  /** Settled usage in the current period. */
  used: number;
  /** Reserved by calls in flight. */
  reserved: number;
  /** limit − used − reserved, at least 0; null without a limit. */
  left: number | null;
  /** When the period resets (ISO 8601). */
  resetsAt: string;
}

/** `GET /api/me/budgets`. */
export interface BudgetStatus {
  dailyInputTokens: BudgetLine;
  dailyOutputTokens: BudgetLine;
  monthlyUsd: BudgetLine;
}

/** Which budget refused a call. */
export type BudgetScope = "dailyInputTokens" | "dailyOutputTokens" | "monthlyUsd" | "task" | "mission";

/** What a call is estimated to use, held until it settles. */
export interface UsageEstimate {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** How a call ended, as the ledger records it. */
export const callStatusSchema = z.enum(["ok", "upstream_error", "failed", "aborted"]);
/** `ok`, `upstream_error` (the upstream answered with an error), `failed` (no answer) or `aborted`. */
export type CallStatus = z.infer<typeof callStatusSchema>;

/** One accounted call (the ledger row). */
export interface UsageEntry {
  id: string;
  /** When the call started (ISO 8601). */
  at: string;
  userId: string;
  projectId: string | null;
  missionId: string | null;
  taskId: string | null;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** Part of inputTokens read from the provider's prompt cache. */
  cachedInputTokens: number;
  costUsd: number;
  latencyMs: number;
  status: CallStatus;
  /** Upstream HTTP status when the upstream answered with an error. */
  httpStatus: number | null;
  /** Who made the call; see {@link UsageSource}. */
  source: UsageSource;
  /**
   * What a speech call (source `voice`) is metered in: `audio_second` (speech-to-text) or
   * `character` (text-to-speech); null or absent for a model call (metered in tokens).
   */
  unit?: SpeechUnit | null;
  /** How many of `unit` the call used (seconds of audio, characters); null or absent for a model call. */
  quantity?: number | null;
}

/**
 * Who made a call: `task` (the task loop), `lead` (the tech lead's turn in a text chat),
 * `proxy` (the OpenAI-compatible proxy), `voice` (a voice conversation with the tech lead:
 * its speech-to-text, its text-to-speech and its turns' model calls) or `vm` (a task's VM, issue
 * 16: its hours at the server type's hourly price, model `vm/<provider>/<serverType>`, no tokens).
 */
export type UsageSource = "task" | "lead" | "proxy" | "voice" | "vm";

/** The unit of a speech call: seconds of audio (speech-to-text) or characters (text-to-speech). */
export type SpeechUnit = "audio_second" | "character";

/** What the caller reports when a call ends (the actor adds id and user). */
export type SettleRequest = Omit<UsageEntry, "id" | "userId">;

/** `GET /api/usage` grouping. */
export const usageGroupBySchema = z.enum(["day", "model", "project", "task", "mission", "source"]);
/** `day`, `model`, `project`, `task`, `mission` or `source` (see {@link UsageSource}). */
export type UsageGroupBy = z.infer<typeof usageGroupBySchema>;

/** Totals of a group of calls. */
export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
}

/** One group of `GET /api/usage`; `key` is the day (YYYY-MM-DD), model id, project, task or mission id ("" when none), or the source. */
export interface UsageGroup extends UsageTotals {
  key: string;
}

/** Project-level model settings of a user: payer-mode override and default task budget. */
export const projectModelSettingsSchema = z.object({
  /** Overrides the user's payer mode for this project; null follows the user's. */
  payerMode: payerModeSchema.nullable(),
  /** Budget (USD) of tasks created in this project without `budgetUsd`; null: no budget. */
  defaultTaskBudgetUsd: z.number().positive().max(1_000_000).nullable(),
});
/** `{payerMode, defaultTaskBudgetUsd}` of a user in one project; see {@link projectModelSettingsSchema}. */
export type ProjectModelSettings = z.infer<typeof projectModelSettingsSchema>;

/** Start of the UTC day of `now` and of the next one (ISO 8601). */
export function dayWindow(now: Date): { start: string; end: string } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const end = new Date(start.getTime() + 86_400_000);
  return { start: start.toISOString(), end: end.toISOString() };
}

/** Start of the UTC month of `now` and of the next one (ISO 8601). */
export function monthWindow(now: Date): { start: string; end: string } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start: start.toISOString(), end: end.toISOString() };
}
