/**
 * `/usage`: model spend over the last 30 days (per day and per model, as recharts bar charts),
 * the totals, and how much of each budget is left (with a form to set the limits).
 */
import { useState, type FormEvent } from "react";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { errorMessage, getBudgets, getSettings, getUsage, putBudgets, type BudgetLine, type Budgets, type UsageGroup } from "../lib/api.ts";
import { formatUsd } from "../lib/format.ts";
import { useLoader } from "../lib/useLoader.ts";
import { FormError } from "./FormError.tsx";

/** Days shown in the spend-over-time chart. */
const DAYS = 30;

/** The last DAYS UTC days (YYYY-MM-DD), oldest first. */
function lastDays(): string[] {
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  return Array.from({ length: DAYS }, (_, i) => new Date(today - (DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** Every day of the window, with 0 where nothing was spent. */
function dailySeries(groups: UsageGroup[]): { day: string; costUsd: number; calls: number }[] {
  const byDay = new Map(groups.map((g) => [g.key, g]));
  return lastDays().map((day) => ({ day: day.slice(5), costUsd: byDay.get(day)?.costUsd ?? 0, calls: byDay.get(day)?.calls ?? 0 }));
}

const tooltipUsd = (value: unknown) => formatUsd(Number(value));

/** The usage page. */
export function UsagePage() {
  const days = lastDays();
  const range = { from: days[0], to: days[days.length - 1] };
  const data = useLoader(
    async (signal) => {
      const [byDay, byModel, budgets, settings] = await Promise.all([
        getUsage("day", range, signal),
        getUsage("model", range, signal),
        getBudgets(signal),
        getSettings(signal),
      ]);
      return { byDay, byModel, budgets, settings };
    },
    [],
  );

  return (
    <div className="page usage-page" data-testid="usage-page">
      <h1>Usage</h1>
      <FormError message={data.error} prefix="Could not load usage" />
      {data.loading && !data.data && <p className="muted">Loading…</p>}
      {data.data && (
        <>
          <p className="muted" data-testid="usage-totals">
            Last {DAYS} days: {formatUsd(data.data.byDay.totals.costUsd)} over {data.data.byDay.totals.calls.toLocaleString()} model calls (
            {data.data.byDay.totals.inputTokens.toLocaleString()} input, {data.data.byDay.totals.outputTokens.toLocaleString()} output tokens). Payer mode:{" "}
            <strong data-testid="payer-mode">{data.data.settings.payerMode}</strong>.
          </p>
          <section className="card usage-card">
            <h2>Spend per day (USD)</h2>
            <div className="chart" data-testid="chart-spend-by-day">
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={dailySeries(data.data.byDay.groups)} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="day" fontSize={11} interval="preserveStartEnd" />
                  <YAxis fontSize={11} tickFormatter={tooltipUsd} width={64} />
                  <Tooltip formatter={tooltipUsd} />
                  <Bar dataKey="costUsd" name="spend" fill="var(--accent)" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
          </section>
          <section className="card usage-card">
            <h2>Spend by model (USD)</h2>
            {data.data.byModel.groups.length === 0 ? (
              <p className="muted">No model calls yet.</p>
            ) : (
              <div className="chart" data-testid="chart-spend-by-model">
                <ResponsiveContainer width="100%" height={Math.max(120, 40 * data.data.byModel.groups.length)}>
                  <BarChart data={data.data.byModel.groups} layout="vertical" margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
                    <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                    <XAxis type="number" fontSize={11} tickFormatter={tooltipUsd} />
                    <YAxis type="category" dataKey="key" fontSize={11} width={220} />
                    <Tooltip formatter={tooltipUsd} />
                    <Bar dataKey="costUsd" name="spend" fill="var(--ok)" isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
              </div>
            )}
            <table className="usage-table" data-testid="usage-by-model">
              <thead>
                <tr>
                  <th>model</th>
                  <th>calls</th>
                  <th>input</th>
                  <th>output</th>
                  <th>cost</th>
                </tr>
              </thead>
              <tbody>
                {data.data.byModel.groups.map((g) => (
                  <tr key={g.key} data-testid="usage-model-row">
                    <td className="mono">{g.key}</td>
                    <td>{g.calls.toLocaleString()}</td>
                    <td>{g.inputTokens.toLocaleString()}</td>
                    <td>{g.outputTokens.toLocaleString()}</td>
                    <td>{formatUsd(g.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <BudgetsCard budgets={data.data.budgets} onChange={(budgets) => data.setData((d) => (d ? { ...d, budgets } : d))} />
        </>
      )}
    </div>
  );
}

/** One budget as a bar: used, in flight and left, or "no limit". */
function BudgetBar({ name, line, money, testId }: { name: string; line: BudgetLine; money: boolean; testId: string }) {
  const show = (n: number) => (money ? formatUsd(n) : `${Math.round(n).toLocaleString()} tokens`);
  const fraction = line.limit ? Math.min(1, (line.used + line.reserved) / line.limit) : 0;
  return (
    <div className="budget" data-testid={testId}>
      <div className="budget-head">
        <span>{name}</span>
        <span className="muted small" data-testid="budget-left">
          {line.limit === null ? `no limit · ${show(line.used)} used` : `${show(line.left ?? 0)} left of ${show(line.limit)}`}
        </span>
      </div>
      {line.limit !== null && (
        <div className="budget-track" role="progressbar" aria-valuenow={Math.round(fraction * 100)} aria-valuemin={0} aria-valuemax={100}>
          <div className={`budget-fill${fraction >= 1 ? " over" : ""}`} style={{ width: `${fraction * 100}%` }} />
        </div>
      )}
    </div>
  );
}

/** Budgets left, and a form to set the limits (empty field: no limit). */
function BudgetsCard({ budgets, onChange }: { budgets: Budgets; onChange: (budgets: Budgets) => void }) {
  const [monthly, setMonthly] = useState(budgets.monthlyUsd.limit?.toString() ?? "");
  const [dailyIn, setDailyIn] = useState(budgets.dailyInputTokens.limit?.toString() ?? "");
  const [dailyOut, setDailyOut] = useState(budgets.dailyOutputTokens.limit?.toString() ?? "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parse = (text: string, integer: boolean): number | null | undefined => {
      if (!text.trim()) return null;
      const n = Number(text);
      return Number.isFinite(n) && n >= 0 && (!integer || Number.isInteger(n)) ? n : undefined;
    };
    const update = { monthlyUsd: parse(monthly, false), dailyInputTokens: parse(dailyIn, true), dailyOutputTokens: parse(dailyOut, true) };
    if (Object.values(update).some((v) => v === undefined)) {
      setError("Limits are numbers of at least 0 (tokens are whole numbers); leave a field empty for no limit.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onChange(await putBudgets(update as Record<string, number | null>));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card usage-card" data-testid="budgets">
      <h2>Budgets</h2>
      <BudgetBar name="Monthly spend" line={budgets.monthlyUsd} money testId="budget-monthly-usd" />
      <BudgetBar name="Daily input tokens" line={budgets.dailyInputTokens} money={false} testId="budget-daily-input" />
      <BudgetBar name="Daily output tokens" line={budgets.dailyOutputTokens} money={false} testId="budget-daily-output" />
      <form className="budget-form" onSubmit={submit}>
        <label>
          Monthly USD
          <input value={monthly} onChange={(e) => setMonthly(e.target.value)} inputMode="decimal" placeholder="no limit" data-testid="budget-monthly-input" />
        </label>
        <label>
          Daily input tokens
          <input value={dailyIn} onChange={(e) => setDailyIn(e.target.value)} inputMode="numeric" placeholder="no limit" />
        </label>
        <label>
          Daily output tokens
          <input value={dailyOut} onChange={(e) => setDailyOut(e.target.value)} inputMode="numeric" placeholder="no limit" />
        </label>
        <button type="submit" disabled={busy} data-testid="budget-save-button">
          Save limits
        </button>
      </form>
      <FormError message={error} />
    </section>
  );
}
