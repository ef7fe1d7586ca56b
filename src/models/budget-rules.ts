/**
 * The budget rules (docs/architecture.md §2.4), as pure functions over what the user's actor reads: the
 * limits, the settled usage of the current UTC day and month, the settled spend of a task or
 * mission, and the reservations of calls in flight. Tokens are tokens, money is USD, times ISO
 * 8601 (UTC); daily budgets reset at 00:00 UTC, monthly ones on the 1st (usage.ts `dayWindow`,
 * `monthWindow`).
 *
 * A call is admitted while something of each budget is left (settled + reserved < limit), so a
 * budget is overshot by at most the calls in flight when it ran out. A task or mission starts
 * only while at least the configured minimum is left (`startMinimums`).
 */
import { dayWindow, monthWindow, type BudgetLimits, type BudgetLine, type BudgetScope, type BudgetStatus } from "./usage.ts";

/** Tokens and USD summed over calls: settled in a period, or reserved by calls in flight. */
export interface UsageSums {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Nothing used. */
export const NO_USAGE: Readonly<UsageSums> = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** A USD amount as messages show it: 4 decimals below $1, else 2 (`$0.0100`, `$12.50`). */
export function usd(n: number): string {
  return `$${n.toFixed(n < 1 ? 4 : 2)}`;
}

/**
 * Each budget as reported: its limit, settled usage in the current period (`day`, `month`),
 * `reserved` by calls in flight, what is left (limit − used − reserved, at least 0; null without
 * a limit) and when the period resets (the end of `now`'s UTC day or month).
 */
export function budgetStatus(limits: BudgetLimits, day: UsageSums, month: UsageSums, reserved: UsageSums, now: Date): BudgetStatus {
  const line = (limit: number | null, used: number, held: number, resetsAt: string): BudgetLine => ({
    limit,
    used,
    reserved: held,
    left: limit === null ? null : Math.max(0, limit - used - held),
    resetsAt,
  });
  return {
    dailyInputTokens: line(limits.dailyInputTokens, day.inputTokens, reserved.inputTokens, dayWindow(now).end),
    dailyOutputTokens: line(limits.dailyOutputTokens, day.outputTokens, reserved.outputTokens, dayWindow(now).end),
    monthlyUsd: line(limits.monthlyUsd, month.costUsd, reserved.costUsd, monthWindow(now).end),
  };
}

/** The numbers a budget check reads; each reader is called only when a limit needs it (they are storage reads). */
export interface BudgetReadings {
  limits: BudgetLimits;
  /** Sums reserved by calls in flight: all of them, or only a task's, or only a mission's. */
  reserved(filter?: { taskId?: string; missionId?: string }): UsageSums;
  /** Settled usage of the UTC day containing `now`. */
  settledDay(): UsageSums;
  /** Settled usage of the UTC month containing `now`. */
  settledMonth(): UsageSums;
  /** Settled USD spend of a task or of a mission. */
  spentUsd(scope: { taskId: string } | { missionId: string }): number;
}

/** The scopes a call counts against besides the user's: its task's and mission's, with their USD budgets (null: none). */
export interface CallScopes {
  taskId: string | null;
  taskBudgetUsd: number | null;
  missionId: string | null;
  missionBudgetUsd: number | null;
}

/** Which budget refused a call, with a message naming it and when it resets. */
export interface BudgetRefusal {
  scope: BudgetScope;
  message: string;
}

/**
 * Which budget (if any) has nothing left for another call, checked in this order: daily input
 * tokens, daily output tokens, monthly USD, the task's USD, the mission's USD. Each counts
 * settled usage plus the reservations in flight (for a task or mission, only its own); a
 * budget refuses once that reaches its limit. Returns null when every budget has something left.
 */
export function budgetRefusal(call: CallScopes, readings: BudgetReadings, now: Date): BudgetRefusal | null {
  const limits = readings.limits;
  const reserved = readings.reserved();
  if (limits.dailyInputTokens !== null || limits.dailyOutputTokens !== null) {
    const day = readings.settledDay();
    const resets = dayWindow(now).end;
    if (limits.dailyInputTokens !== null && day.inputTokens + reserved.inputTokens >= limits.dailyInputTokens) {
      return { scope: "dailyInputTokens", message: `daily input token budget exhausted: ${day.inputTokens} used and ${reserved.inputTokens} in flight of ${limits.dailyInputTokens}; it resets at ${resets}` };
    }
    if (limits.dailyOutputTokens !== null && day.outputTokens + reserved.outputTokens >= limits.dailyOutputTokens) {
      return { scope: "dailyOutputTokens", message: `daily output token budget exhausted: ${day.outputTokens} used and ${reserved.outputTokens} in flight of ${limits.dailyOutputTokens}; it resets at ${resets}` };
    }
  }
  if (limits.monthlyUsd !== null) {
    const month = readings.settledMonth();
    if (month.costUsd + reserved.costUsd >= limits.monthlyUsd) {
      return { scope: "monthlyUsd", message: `monthly budget exhausted: ${usd(month.costUsd)} spent and ${usd(reserved.costUsd)} in flight of ${usd(limits.monthlyUsd)}; it resets at ${monthWindow(now).end}` };
    }
  }
  if (call.taskId && call.taskBudgetUsd !== null) {
    const spent = readings.spentUsd({ taskId: call.taskId }) + readings.reserved({ taskId: call.taskId }).costUsd;
    if (spent >= call.taskBudgetUsd) return { scope: "task", message: `task budget exhausted: ${usd(spent)} of ${usd(call.taskBudgetUsd)} spent` };
  }
  if (call.missionId && call.missionBudgetUsd !== null) {
    const spent = readings.spentUsd({ missionId: call.missionId }) + readings.reserved({ missionId: call.missionId }).costUsd;
    if (spent >= call.missionBudgetUsd) return { scope: "mission", message: `mission budget exhausted: ${usd(spent)} of ${usd(call.missionBudgetUsd)} spent` };
  }
  return null;
}

/** The least that must be left to start a task or mission: USD (monthly budget, and its own budget) and tokens (each daily budget). */
export interface StartMinimums {
  minUsd: number;
  minTokens: number;
}

/** `SAM_MIN_START_USD` when unset or unreadable. */
export const DEFAULT_MIN_START_USD = 0.01;
/** `SAM_MIN_START_TOKENS` when unset or unreadable. */
export const DEFAULT_MIN_START_TOKENS = 1000;

/**
 * The minimums to start, from the variables `SAM_MIN_START_USD` (USD) and
 * `SAM_MIN_START_TOKENS` (tokens); an absent, negative or non-numeric value gives the default
 * (DEFAULT_MIN_START_USD, DEFAULT_MIN_START_TOKENS).
 */
export function startMinimums(vars: { SAM_MIN_START_USD?: string; SAM_MIN_START_TOKENS?: string }): StartMinimums {
  const minUsd = Number(vars.SAM_MIN_START_USD ?? String(DEFAULT_MIN_START_USD));
  const minTokens = Number(vars.SAM_MIN_START_TOKENS ?? String(DEFAULT_MIN_START_TOKENS));
  return {
    minUsd: Number.isFinite(minUsd) && minUsd >= 0 ? minUsd : DEFAULT_MIN_START_USD,
    minTokens: Number.isFinite(minTokens) && minTokens >= 0 ? minTokens : DEFAULT_MIN_START_TOKENS,
  };
}

/**
 * Why a task or mission may not start, or null when it may: the monthly budget has less than
 * `minUsd` left, a daily token budget less than `minTokens` (input, then output), or its own
 * USD budget `budgetUsd` (null: none) is below `minUsd`. The message says how to raise the
 * budget or when it resets.
 */
export function startRefusal(budgets: BudgetStatus, budgetUsd: number | null, minimums: StartMinimums): string | null {
  const short = (left: number | null, min: number) => left !== null && left < min;
  if (short(budgets.monthlyUsd.left, minimums.minUsd)) {
    return `monthly budget: ${usd(budgets.monthlyUsd.left ?? 0)} left of ${usd(budgets.monthlyUsd.limit ?? 0)}, below the minimum of ${usd(minimums.minUsd)} to start; raise monthlyUsd with PUT /api/me/budgets or wait until ${budgets.monthlyUsd.resetsAt}`;
  }
  for (const [name, line] of [["daily input token", budgets.dailyInputTokens], ["daily output token", budgets.dailyOutputTokens]] as const) {
    if (short(line.left, minimums.minTokens)) {
      return `${name} budget: ${line.left} tokens left of ${line.limit}, below the minimum of ${minimums.minTokens} to start; raise it with PUT /api/me/budgets or wait until ${line.resetsAt}`;
    }
  }
  if (budgetUsd !== null && budgetUsd < minimums.minUsd) return `budgetUsd ${usd(budgetUsd)} is below the minimum of ${usd(minimums.minUsd)} to start`;
  return null;
}
