/** A trigger's runs, newest first: when it fired (and the due time or delivery id), the outcome, and a link to the task it started (or the mission's id), or why it did not. */
import type { TriggerRun } from "../../shared/trigger.ts";
import { listTriggerRuns } from "../lib/triggersApi.ts";
import { Link, paths } from "../lib/router.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { FormError } from "./FormError.tsx";

/** The runs of `triggerId` in `projectId`, loaded when shown. */
export function TriggerRuns({ projectId, triggerId }: { projectId: string; triggerId: string }) {
  const runs = useLoader((signal) => listTriggerRuns(projectId, triggerId, signal), [projectId, triggerId]);
  return (
    <div className="trigger-runs" data-testid="trigger-runs">
      <div className="row">
        <strong className="small">Runs</strong>
        <button type="button" className="link-button small" onClick={runs.reload}>
          Refresh
        </button>
      </div>
      <FormError message={runs.error} prefix="Could not load the runs" />
      {runs.data?.length === 0 && <p className="muted small">No runs yet.</p>}
      {runs.data && runs.data.length > 0 && (
        <ul className="list">
          {runs.data.map((run) => (
            <RunRow key={run.id} run={run} />
          ))}
        </ul>
      )}
    </div>
  );
}

function RunRow({ run }: { run: TriggerRun }) {
  return (
    <li className="list-row small" data-testid="trigger-run">
      <span title={run.id}>{new Date(run.firedAt).toLocaleString()}</span>{" "}
      <span className={`chip outcome-${run.outcome}`} data-testid="trigger-run-outcome">
        {run.outcome}
      </span>{" "}
      {run.dueAt && <span className="muted">due {new Date(run.dueAt).toISOString().slice(0, 16).replace("T", " ")} UTC </span>}
      {run.deliveryId && <span className="muted mono">delivery {run.deliveryId} </span>}
      {run.taskId && (
        <Link to={paths.task(run.taskId)} className="mono">
          {run.taskId}
        </Link>
      )}
      {run.missionId && <span className="mono">mission {run.missionId}</span>}
      {run.message && <span className="muted"> — {run.message}</span>}
    </li>
  );
}
