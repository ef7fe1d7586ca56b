/** `sam usage [--by ...]` and `sam budgets [set ...]`: what was spent, and the limits. */
import type { Command } from "commander";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { table, usd } from "../format.ts";

type Totals = { calls: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number };
type UsageReport = { groupBy: string; from: string; to: string; totals: Totals; groups: ({ key: string } & Totals)[] };
type BudgetLine = { limit: number | null; used: number; reserved: number; left: number | null; resetsAt: string };
type Budgets = Record<"dailyInputTokens" | "dailyOutputTokens" | "monthlyUsd", BudgetLine>;

const GROUPS = ["day", "model", "project", "task", "mission", "source"] as const;

/** A budget flag's value: a number ≥ 0, or `none` (null: no limit). @throws CliError (exit 2) */
export function limitValue(value: string, flag: string): number | null {
  if (value === "none") return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} takes a number ≥ 0 or "none", not ${value}`, 2);
  return n;
}

/** Registers `usage` and `budgets` on `program`. */
export function registerUsage(program: Command, context: (command: Command) => CliContext): void {
  program
    .command("usage")
    .description("calls, tokens and USD spent (the last 30 days unless --from/--to)")
    .option("--by <group>", `group by ${GROUPS.join("|")}`, "day")
    .option("--from <date>", "YYYY-MM-DD or an ISO date-time")
    .option("--to <date>", "YYYY-MM-DD (that day included) or an ISO date-time")
    .action(async (options: { by: string; from?: string; to?: string }, command: Command) => {
      const ctx = context(command);
      if (!(GROUPS as readonly string[]).includes(options.by)) throw new CliError(`--by must be one of ${GROUPS.join(", ")}`, 2);
      const query = new URLSearchParams({ groupBy: options.by });
      if (options.from) query.set("from", options.from);
      if (options.to) query.set("to", options.to);
      const report = await ctx.api().get<UsageReport>(`/api/usage?${query}`);
      const row = (key: string, t: Totals) => [key, String(t.calls), String(t.inputTokens), String(t.outputTokens), usd(t.costUsd)];
      ctx.print(
        [`${report.from} → ${report.to}`, ...table([options.by.toUpperCase(), "CALLS", "INPUT", "OUTPUT", "USD"], [...report.groups.map((g) => row(g.key, g)), row("total", report.totals)])],
        report,
      );
    });

  const budgets = program
    .command("budgets")
    .description("your limits: daily input and output tokens, monthly USD")
    .action(async (_o: unknown, command: Command) => {
      const ctx = context(command);
      printBudgets(ctx, await ctx.api().get<Budgets>("/api/me/budgets"));
    });
  budgets
    .command("set")
    .description('change limits ("none" removes one)')
    .option("--daily-input-tokens <n>", "input tokens a day", (v: string) => limitValue(v, "--daily-input-tokens"))
    .option("--daily-output-tokens <n>", "output tokens a day", (v: string) => limitValue(v, "--daily-output-tokens"))
    .option("--monthly-usd <usd>", "USD a month", (v: string) => limitValue(v, "--monthly-usd"))
    .action(async (options: { dailyInputTokens?: number | null; dailyOutputTokens?: number | null; monthlyUsd?: number | null }, command: Command) => {
      const ctx = context(command);
      const update = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
      if (Object.keys(update).length === 0) throw new CliError("nothing to set: pass --daily-input-tokens, --daily-output-tokens or --monthly-usd", 2);
      printBudgets(ctx, await ctx.api().put<Budgets>("/api/me/budgets", update));
    });
}

function printBudgets(ctx: CliContext, budgets: Budgets): void {
  const show = (n: number | null, money: boolean) => (n === null ? "none" : money ? usd(n) : String(n));
  const rows = (["dailyInputTokens", "dailyOutputTokens", "monthlyUsd"] as const).map((name) => {
    const line = budgets[name];
    const money = name === "monthlyUsd";
    return [name, show(line.limit, money), show(line.used, money), show(line.left, money), line.resetsAt];
  });
  ctx.print(table(["BUDGET", "LIMIT", "USED", "LEFT", "RESETS"], rows), budgets);
}
