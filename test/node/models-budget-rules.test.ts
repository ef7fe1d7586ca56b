/** The budget rules (src/models/budget-rules.ts): which budget refuses a call, the budgets as reported, the minimums to start. */
import { describe, expect, it } from "vitest";
import { budgetRefusal, budgetStatus, startMinimums, startRefusal, usd, type BudgetReadings, type CallScopes, type UsageSums } from "../../src/models/budget-rules.ts";
import type { BudgetLimits } from "../../src/models/usage.ts";

const NOW = new Date("2026-03-14T15:09:26Z");
const NO_LIMITS: BudgetLimits = { dailyInputTokens: null, dailyOutputTokens: null, monthlyUsd: null };
const ZERO: UsageSums = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
const NO_SCOPES: CallScopes = { taskId: null, taskBudgetUsd: null, missionId: null, missionBudgetUsd: null };

/** One reservation in flight, for a task and/or a mission. */
type Held = UsageSums & { taskId?: string; missionId?: string };

/** Readings over plain numbers; records which storage readers were called. */
function readings(input: { limits?: Partial<BudgetLimits>; day?: Partial<UsageSums>; month?: Partial<UsageSums>; spent?: Record<string, number>; held?: Held[] }) {
  const calls: string[] = [];
  const held = input.held ?? [];
  const r: BudgetReadings = {
    limits: { ...NO_LIMITS, ...input.limits },
    reserved: (filter = {}) =>
      held
        .filter((h) => (!filter.taskId || h.taskId === filter.taskId) && (!filter.missionId || h.missionId === filter.missionId))
        .reduce((sum, h) => ({ inputTokens: sum.inputTokens + h.inputTokens, outputTokens: sum.outputTokens + h.outputTokens, costUsd: sum.costUsd + h.costUsd }), { ...ZERO }),
    settledDay: () => (calls.push("day"), { ...ZERO, ...input.day }),
    settledMonth: () => (calls.push("month"), { ...ZERO, ...input.month }),
    spentUsd: (scope) => {
      const key = "taskId" in scope ? `task:${scope.taskId}` : `mission:${scope.missionId}`;
      calls.push(key);
      return input.spent?.[key] ?? 0;
    },
  };
  return { r, calls };
}

describe("budgetRefusal", () => {
  it("admits anything without limits, and reads no usage to do so", () => {
    const { r, calls } = readings({ day: { inputTokens: 1e9 }, month: { costUsd: 1e6 } });
    expect(budgetRefusal(NO_SCOPES, r, NOW)).toBeNull();
    expect(calls).toEqual([]);
  });

  it("refuses daily input tokens once settled plus in flight reaches the limit, naming the reset at the next UTC midnight", () => {
    const under = readings({ limits: { dailyInputTokens: 1000 }, day: { inputTokens: 600 }, held: [{ inputTokens: 399, outputTokens: 0, costUsd: 0 }] });
    expect(budgetRefusal(NO_SCOPES, under.r, NOW)).toBeNull();
    const at = readings({ limits: { dailyInputTokens: 1000 }, day: { inputTokens: 600 }, held: [{ inputTokens: 400, outputTokens: 0, costUsd: 0 }] });
    const refusal = budgetRefusal(NO_SCOPES, at.r, NOW);
    expect(refusal?.scope).toBe("dailyInputTokens");
    expect(refusal?.message).toBe("daily input token budget exhausted: 600 used and 400 in flight of 1000; it resets at 2026-03-15T00:00:00.000Z");
  });

  it("refuses daily output tokens on their own limit", () => {
    const { r } = readings({ limits: { dailyInputTokens: 10_000, dailyOutputTokens: 500 }, day: { inputTokens: 10, outputTokens: 500 } });
    expect(budgetRefusal(NO_SCOPES, r, NOW)?.scope).toBe("dailyOutputTokens");
  });

  it("refuses the monthly USD budget with reservations in flight, naming the reset on the 1st", () => {
    const { r, calls } = readings({ limits: { monthlyUsd: 5 }, month: { costUsd: 4.5 }, held: [{ inputTokens: 0, outputTokens: 0, costUsd: 0.5 }] });
    const refusal = budgetRefusal(NO_SCOPES, r, NOW);
    expect(refusal).toEqual({ scope: "monthlyUsd", message: "monthly budget exhausted: $4.50 spent and $0.5000 in flight of $5.00; it resets at 2026-04-01T00:00:00.000Z" });
    expect(calls).toEqual(["month"]);
  });

  it("checks daily budgets before the monthly one", () => {
    const { r } = readings({ limits: { dailyInputTokens: 1, monthlyUsd: 1 }, day: { inputTokens: 1 }, month: { costUsd: 1 } });
    expect(budgetRefusal(NO_SCOPES, r, NOW)?.scope).toBe("dailyInputTokens");
  });

  it("counts only the task's own spend and reservations against its budget", () => {
    const call: CallScopes = { ...NO_SCOPES, taskId: "t1", taskBudgetUsd: 1 };
    const held: Held[] = [
      { inputTokens: 0, outputTokens: 0, costUsd: 0.3, taskId: "t1" },
      { inputTokens: 0, outputTokens: 0, costUsd: 5, taskId: "t2" },
    ];
    expect(budgetRefusal(call, readings({ spent: { "task:t1": 0.69 }, held }).r, NOW)).toBeNull();
    expect(budgetRefusal(call, readings({ spent: { "task:t1": 0.7 }, held }).r, NOW)).toEqual({ scope: "task", message: "task budget exhausted: $1.00 of $1.00 spent" });
  });

  it("refuses a mission's budget from its tasks' spend and reservations, after the task's", () => {
    const call: CallScopes = { taskId: "t1", taskBudgetUsd: 10, missionId: "m1", missionBudgetUsd: 2 };
    const held: Held[] = [{ inputTokens: 0, outputTokens: 0, costUsd: 0.5, taskId: "t9", missionId: "m1" }];
    expect(budgetRefusal(call, readings({ spent: { "mission:m1": 1.4 }, held }).r, NOW)).toBeNull();
    expect(budgetRefusal(call, readings({ spent: { "mission:m1": 1.5 }, held }).r, NOW)?.scope).toBe("mission");
    expect(budgetRefusal({ ...call, taskBudgetUsd: 0.1 }, readings({ spent: { "mission:m1": 1.5, "task:t1": 0.1 }, held }).r, NOW)?.scope).toBe("task");
  });

  it("ignores a task or mission without a budget", () => {
    const { r, calls } = readings({ spent: { "task:t1": 100, "mission:m1": 100 } });
    expect(budgetRefusal({ taskId: "t1", taskBudgetUsd: null, missionId: "m1", missionBudgetUsd: null }, r, NOW)).toBeNull();
    expect(calls).toEqual([]);
  });
});

describe("budgetStatus", () => {
  it("reports each budget's limit, use, reservations, what is left (never below 0) and its reset", () => {
    const status = budgetStatus(
      { dailyInputTokens: 1000, dailyOutputTokens: null, monthlyUsd: 2 },
      { inputTokens: 700, outputTokens: 50, costUsd: 0 },
      { inputTokens: 0, outputTokens: 0, costUsd: 1.5 },
      { inputTokens: 400, outputTokens: 10, costUsd: 0.25 },
      NOW,
    );
    expect(status).toEqual({
      dailyInputTokens: { limit: 1000, used: 700, reserved: 400, left: 0, resetsAt: "2026-03-15T00:00:00.000Z" },
      dailyOutputTokens: { limit: null, used: 50, reserved: 10, left: null, resetsAt: "2026-03-15T00:00:00.000Z" },
      monthlyUsd: { limit: 2, used: 1.5, reserved: 0.25, left: 0.25, resetsAt: "2026-04-01T00:00:00.000Z" },
    });
  });

  it("rolls the month over at the end of December", () => {
    const status = budgetStatus(NO_LIMITS, ZERO, ZERO, ZERO, new Date("2026-12-31T23:59:59Z"));
    expect(status.monthlyUsd.resetsAt).toBe("2027-01-01T00:00:00.000Z");
    expect(status.dailyInputTokens.resetsAt).toBe("2027-01-01T00:00:00.000Z");
  });
});

describe("startMinimums", () => {
  it("defaults to $0.01 and 1000 tokens", () => {
    expect(startMinimums({})).toEqual({ minUsd: 0.01, minTokens: 1000 });
  });
  it("reads the variables, and falls back to the default for a negative or unreadable one", () => {
    expect(startMinimums({ SAM_MIN_START_USD: "0.5", SAM_MIN_START_TOKENS: "0" })).toEqual({ minUsd: 0.5, minTokens: 0 });
    expect(startMinimums({ SAM_MIN_START_USD: "-1", SAM_MIN_START_TOKENS: "many" })).toEqual({ minUsd: 0.01, minTokens: 1000 });
  });
});

describe("startRefusal", () => {
  const MIN = { minUsd: 0.01, minTokens: 1000 };
  const status = (limits: Partial<BudgetLimits>, day: Partial<UsageSums> = {}, month: Partial<UsageSums> = {}) =>
    budgetStatus({ ...NO_LIMITS, ...limits }, { ...ZERO, ...day }, { ...ZERO, ...month }, ZERO, NOW);

  it("lets a start through without limits or own budget", () => {
    expect(startRefusal(status({}), null, MIN)).toBeNull();
  });

  it("refuses when the monthly budget has less than the USD minimum left", () => {
    expect(startRefusal(status({ monthlyUsd: 1 }, {}, { costUsd: 0.99 }), null, MIN)).toBeNull();
    expect(startRefusal(status({ monthlyUsd: 1 }, {}, { costUsd: 0.995 }), null, MIN)).toMatch(/^monthly budget: \$0\.0050 left of \$1\.00, below the minimum of \$0\.0100 to start; .* wait until 2026-04-01T00:00:00\.000Z$/);
  });

  it("refuses when a daily token budget has fewer than the token minimum left", () => {
    expect(startRefusal(status({ dailyOutputTokens: 5000 }, { outputTokens: 4001 }), null, MIN)).toMatch(/^daily output token budget: 999 tokens left of 5000, below the minimum of 1000 to start/);
    expect(startRefusal(status({ dailyInputTokens: 5000 }, { inputTokens: 4000 }), null, MIN)).toBeNull();
  });

  it("refuses an own budget below the USD minimum", () => {
    expect(startRefusal(status({}), 0.005, MIN)).toBe("budgetUsd $0.0050 is below the minimum of $0.0100 to start");
    expect(startRefusal(status({}), 0.01, MIN)).toBeNull();
  });
});

describe("usd", () => {
  it("shows 4 decimals below a dollar, 2 above", () => {
    expect(usd(0.0123)).toBe("$0.0123");
    expect(usd(12.5)).toBe("$12.50");
  });
});
