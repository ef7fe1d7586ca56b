/**
 * The "New trigger" form: a name, cron (a schedule, UTC) or webhook, what a firing starts — a task
 * (prompt with an optional `{{payload}}`, model, optional script for the scripted model) or a
 * mission (its JSON body, as `POST .../missions` takes it) — and whether it starts enabled.
 */
import { useState, type FormEvent } from "react";
import { errorMessage } from "../lib/api.ts";
import { triggerInputFrom, type TriggerFormFields } from "../lib/triggerForm.ts";
import { createTrigger, type NewTrigger } from "../lib/triggersApi.ts";
import { FormError } from "./FormError.tsx";

const EMPTY: TriggerFormFields = {
  name: "",
  kind: "cron",
  schedule: "0 8 * * 1-5",
  starts: "task",
  prompt: "",
  model: "scripted",
  script: "",
  missionJson: '{\n  "goal": "react to {{payload}}",\n  "tasks": [{"key": "a", "prompt": "look at {{payload}}"}]\n}',
  enabled: true,
};

/** Makes a trigger in `projectId`; `onCreated` gets it (with a webhook's secret, to show once). */
export function TriggerForm({ projectId, onCreated }: { projectId: string; onCreated: (trigger: NewTrigger) => void }) {
  const [fields, setFields] = useState<TriggerFormFields>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof TriggerFormFields>(key: K, value: TriggerFormFields[K]) => setFields((f) => ({ ...f, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const built = triggerInputFrom(fields);
    if (!built.ok) {
      setError(built.error);
      return;
    }
    setError(null);
    setBusy(true);
    try {
      onCreated(await createTrigger(projectId, built.input));
      setFields(EMPTY);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="trigger-form" onSubmit={submit} data-testid="trigger-form">
      <h3>New trigger</h3>
      <div className="form-grid">
        <div>
          <label htmlFor="trigger-name">Name</label>
          <input id="trigger-name" data-testid="trigger-name-input" value={fields.name} onChange={(e) => set("name", e.target.value)} placeholder="nightly check" />
        </div>
        <div>
          <label htmlFor="trigger-kind">Kind</label>
          <select id="trigger-kind" data-testid="trigger-kind-select" value={fields.kind} onChange={(e) => set("kind", e.target.value as TriggerFormFields["kind"])}>
            <option value="cron">Cron schedule</option>
            <option value="webhook">Signed webhook</option>
          </select>
        </div>
      </div>
      {fields.kind === "cron" ? (
        <>
          <label htmlFor="trigger-schedule">
            Schedule <span className="muted small">(5 fields, UTC: minute hour day-of-month month day-of-week)</span>
          </label>
          <input id="trigger-schedule" className="mono" data-testid="trigger-schedule-input" value={fields.schedule} onChange={(e) => set("schedule", e.target.value)} />
        </>
      ) : (
        <p className="muted small">A webhook trigger gets a URL and a secret; each call must be signed (X-Hub-Signature-256). Its body replaces {"{{payload}}"} in the prompts.</p>
      )}
      <fieldset className="row">
        <legend className="small">Each firing starts</legend>
        <label>
          <input type="radio" name="trigger-starts" checked={fields.starts === "task"} onChange={() => set("starts", "task")} /> a task
        </label>
        <label>
          <input type="radio" name="trigger-starts" data-testid="trigger-starts-mission" checked={fields.starts === "mission"} onChange={() => set("starts", "mission")} /> a mission
        </label>
      </fieldset>
      {fields.starts === "task" ? (
        <>
          <label htmlFor="trigger-prompt">Prompt</label>
          <textarea id="trigger-prompt" data-testid="trigger-prompt-input" rows={3} value={fields.prompt} onChange={(e) => set("prompt", e.target.value)} placeholder="Review this push: {{payload}}" />
          <label htmlFor="trigger-model">Model</label>
          <input id="trigger-model" className="mono" data-testid="trigger-model-input" value={fields.model} onChange={(e) => set("model", e.target.value)} />
          <label htmlFor="trigger-script">
            Script <span className="muted small">(optional, for the scripted model: a JSON array of steps)</span>
          </label>
          <textarea id="trigger-script" className="mono" data-testid="trigger-script-input" rows={3} spellCheck={false} value={fields.script} onChange={(e) => set("script", e.target.value)} />
        </>
      ) : (
        <>
          <label htmlFor="trigger-mission">Mission (JSON, as POST …/missions takes it)</label>
          <textarea id="trigger-mission" className="mono" data-testid="trigger-mission-input" rows={6} spellCheck={false} value={fields.missionJson} onChange={(e) => set("missionJson", e.target.value)} />
        </>
      )}
      <label className="row">
        <input type="checkbox" data-testid="trigger-enabled-input" checked={fields.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Enabled
      </label>
      <FormError message={error} testId="trigger-form-error" />
      <button type="submit" data-testid="trigger-create-button" disabled={busy}>
        {busy ? "Creating…" : "Create trigger"}
      </button>
    </form>
  );
}
