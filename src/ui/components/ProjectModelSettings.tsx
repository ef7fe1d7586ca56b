/**
 * A project's model settings, inside its settings panel: who pays for this project's model calls
 * (inherit the user's payer mode, or override it) and the default USD budget of tasks created
 * here without one, saved with `PUT /api/projects/:id/model-settings`.
 */
import { useEffect, useState, type FormEvent } from "react";
import { getProjectModelSettings, PAYER_MODES, putProjectModelSettings, type PayerMode, type ProjectModelSettings } from "../lib/api.ts";
import { formatUsd } from "../lib/format.ts";
import { PAYER_MODE_TEXT } from "../lib/payerModes.ts";
import { Link, paths } from "../lib/router.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { useSaving } from "../lib/useSaving.ts";
import { FormError } from "./FormError.tsx";

/** The select's value for "no override". */
const INHERIT = "inherit";
type OverrideChoice = PayerMode | typeof INHERIT;

/** Loads and edits the model settings of `projectId`. */
export function ProjectModelSettingsSection({ projectId }: { projectId: string }) {
  const settings = useLoader((signal) => getProjectModelSettings(projectId, signal), [projectId]);
  return (
    <div className="project-model-settings" data-testid="project-model-settings">
      <h3>Model calls</h3>
      <FormError message={settings.error} prefix="Could not load the model settings" />
      {settings.loading && !settings.data && <p className="muted small">Loading…</p>}
      {settings.data && <ProjectModelSettingsForm projectId={projectId} settings={settings.data} onSaved={settings.setData} />}
    </div>
  );
}

type FormProps = { projectId: string; settings: ProjectModelSettings; onSaved: (settings: ProjectModelSettings) => void };

/** Parses the budget field: empty means no default budget; otherwise a positive amount of USD. */
function parseBudget(text: string): { ok: true; value: number | null } | { ok: false } {
  if (!text.trim()) return { ok: true, value: null };
  const n = Number(text);
  return Number.isFinite(n) && n > 0 && n <= 1_000_000 ? { ok: true, value: n } : { ok: false };
}

function ProjectModelSettingsForm({ projectId, settings, onSaved }: FormProps) {
  const [override, setOverride] = useState<OverrideChoice>(settings.payerMode ?? INHERIT);
  const [budget, setBudget] = useState(settings.defaultTaskBudgetUsd?.toString() ?? "");
  const [saved, setSaved] = useState(false);
  const { busy, error, setError, run } = useSaving();

  useEffect(() => setSaved(false), [override, budget]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const parsedBudget = parseBudget(budget);
    if (!parsedBudget.ok) {
      setError("The default task budget is an amount of USD above 0 (at most 1,000,000); leave it empty for no default budget.");
      return;
    }
    const payerMode = override === INHERIT ? null : override;
    if (await run(async () => onSaved(await putProjectModelSettings(projectId, { payerMode, defaultTaskBudgetUsd: parsedBudget.value })))) setSaved(true);
  };

  return (
    <form onSubmit={submit}>
      <label htmlFor="project-payer-mode">Who pays for this project</label>
      <select
        id="project-payer-mode"
        data-testid="project-payer-mode-select"
        value={override}
        onChange={(e) => setOverride(e.target.value as OverrideChoice)}
      >
        <option value={INHERIT}>Inherit my setting</option>
        {PAYER_MODES.map((mode) => (
          <option key={mode} value={mode}>
            {PAYER_MODE_TEXT[mode].title}
          </option>
        ))}
      </select>
      <p className="muted small" data-testid="project-effective-payer-mode">
        In effect now: <strong>{PAYER_MODE_TEXT[settings.effectivePayerMode].title}</strong>
        {settings.payerMode === null ? (
          <>
            {" "}
            (your <Link to={paths.settings()}>setting</Link>)
          </>
        ) : (
          " (this project's override)"
        )}
        . {PAYER_MODE_TEXT[override === INHERIT ? settings.effectivePayerMode : override].description}
      </p>
      <label htmlFor="project-default-budget">
        Default task budget (USD) <span className="muted small">(for tasks started here without one; empty: none)</span>
      </label>
      <input
        id="project-default-budget"
        data-testid="project-default-budget-input"
        inputMode="decimal"
        placeholder="no default budget"
        value={budget}
        onChange={(e) => setBudget(e.target.value)}
      />
      <FormError message={error} testId="project-model-settings-error" />
      <div className="row">
        <button type="submit" data-testid="project-model-settings-save-button" disabled={busy}>
          {busy ? "Saving…" : "Save model settings"}
        </button>
        {saved && (
          <span className="muted small" data-testid="project-model-settings-saved" role="status">
            Saved{settings.defaultTaskBudgetUsd !== null ? ` · default budget ${formatUsd(settings.defaultTaskBudgetUsd)}` : ""}.
          </span>
        )}
      </div>
    </form>
  );
}
