/**
 * The project's triggers (issue 15): each with its kind, schedule (UTC) or webhook URL, whether it
 * is enabled, when it fires next and its last run; its runs on demand. Owners and members create
 * triggers, switch them on and off, rotate a webhook's secret and delete them; a new or rotated
 * secret is shown once. Viewers see the list and the runs.
 */
import { useState } from "react";
import { errorMessage } from "../lib/api.ts";
import { useProjectAccess } from "../lib/projectAccess.tsx";
import { deleteTrigger, listTriggers, rotateTriggerSecret, signingHint, updateTrigger, type NewTrigger, type Trigger } from "../lib/triggersApi.ts";
import { useLoader } from "../lib/useLoader.ts";
import { FormError } from "./FormError.tsx";
import { SecretOnce } from "./SecretOnce.tsx";
import { TriggerForm } from "./TriggerForm.tsx";
import { TriggerRuns } from "./TriggerRuns.tsx";

/** The triggers card of `projectId` (access from the surrounding `<ProjectAccessProvider>`). */
export function TriggersPanel({ projectId }: { projectId: string }) {
  const { canWrite } = useProjectAccess();
  const triggers = useLoader((signal) => listTriggers(projectId, signal), [projectId]);
  const [secret, setSecret] = useState<{ name: string; secret: string; url: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const replace = (trigger: Trigger) => triggers.setData((list) => list?.map((t) => (t.id === trigger.id ? trigger : t)));
  const act = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const created = (trigger: NewTrigger) => {
    const { secret: shown, ...rest } = trigger;
    triggers.setData((list) => [...(list ?? []), rest]);
    if (shown && trigger.url) setSecret({ name: trigger.name, secret: shown, url: trigger.url });
    setCreating(false);
  };

  return (
    <section className="card triggers-panel" data-testid="triggers-panel">
      <div className="row">
        <h2>Triggers</h2>
        <span className="topbar-spacer" />
        {canWrite && (
          <button type="button" className="secondary" data-testid="trigger-new-toggle" aria-expanded={creating} onClick={() => setCreating((open) => !open)}>
            {creating ? "Cancel" : "New trigger"}
          </button>
        )}
      </div>
      <p className="muted small">Work that starts by itself: on a cron schedule (UTC), or when a signed webhook is called. It runs as the person who set it up.</p>
      {secret && (
        <SecretOnce
          title={`The secret of webhook trigger "${secret.name}"`}
          secret={secret.secret}
          hint={`URL: ${secret.url}. ${signingHint(secret.url)}`}
          onDismiss={() => setSecret(null)}
        />
      )}
      {creating && canWrite && <TriggerForm projectId={projectId} onCreated={created} />}
      <FormError message={triggers.error} prefix="Could not load the triggers" />
      <FormError message={error} />
      {triggers.data?.length === 0 && <p className="muted">No triggers yet.</p>}
      {triggers.data && triggers.data.length > 0 && (
        <ul className="list trigger-list">
          {triggers.data.map((trigger) => (
            <TriggerRow
              key={trigger.id}
              projectId={projectId}
              trigger={trigger}
              canWrite={canWrite}
              onToggle={() => act(async () => replace(await updateTrigger(projectId, trigger.id, { enabled: !trigger.enabled })))}
              onRotate={() =>
                act(async () => {
                  const rotated = await rotateTriggerSecret(projectId, trigger.id);
                  setSecret({ name: trigger.name, secret: rotated, url: trigger.url ?? "" });
                })
              }
              onDelete={() =>
                act(async () => {
                  if (!window.confirm(`Delete trigger "${trigger.name}" and its runs?`)) return;
                  await deleteTrigger(projectId, trigger.id);
                  triggers.setData((list) => list?.filter((t) => t.id !== trigger.id));
                })
              }
            />
          ))}
        </ul>
      )}
    </section>
  );
}

type RowProps = { projectId: string; trigger: Trigger; canWrite: boolean; onToggle: () => void; onRotate: () => void; onDelete: () => void };

function TriggerRow({ projectId, trigger, canWrite, onToggle, onRotate, onDelete }: RowProps) {
  const [showRuns, setShowRuns] = useState(false);
  const starts = trigger.template.task ? "a task" : `a mission (${trigger.template.mission?.tasks.length ?? 0} tasks)`;
  return (
    <li className="list-row trigger-row" data-testid="trigger-row" data-trigger-id={trigger.id}>
      <div className="row">
        <strong className="list-title">{trigger.name}</strong>
        <span className="chip">{trigger.kind}</span>
        <span className={`chip${trigger.enabled ? "" : " muted"}`} data-testid="trigger-enabled">
          {trigger.enabled ? "enabled" : "disabled"}
        </span>
      </div>
      <div className="small">
        {trigger.kind === "cron" ? (
          <>
            <span className="mono">{trigger.schedule}</span> UTC{trigger.nextDueAt && <span className="muted"> · next {new Date(trigger.nextDueAt).toLocaleString()}</span>}
          </>
        ) : (
          <span className="mono" data-testid="trigger-url">
            POST {trigger.url}
          </span>
        )}
        <span className="muted"> · starts {starts}</span>
      </div>
      <div className="small muted" data-testid="trigger-last-run">
        {trigger.lastRun ? `Last run ${new Date(trigger.lastRun.firedAt).toLocaleString()}: ${trigger.lastRun.outcome}` : "Never run"}
      </div>
      <div className="row">
        <button type="button" className="link-button small" aria-expanded={showRuns} onClick={() => setShowRuns((open) => !open)}>
          {showRuns ? "Hide runs" : "Runs"}
        </button>
        {canWrite && (
          <>
            <button type="button" className="link-button small" data-testid="trigger-toggle" onClick={onToggle}>
              {trigger.enabled ? "Disable" : "Enable"}
            </button>
            {trigger.kind === "webhook" && (
              <button type="button" className="link-button small" onClick={onRotate}>
                New secret
              </button>
            )}
            <button type="button" className="link-button small danger" data-testid="trigger-delete" onClick={onDelete}>
              Delete
            </button>
          </>
        )}
      </div>
      {showRuns && <TriggerRuns projectId={projectId} triggerId={trigger.id} />}
    </li>
  );
}
