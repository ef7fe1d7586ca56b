/**
 * A mission's plan in dependency order: each task indented by its level, with "after" chips
 * naming its dependencies, live status, attempts, cost, error and any pending question.
 * A task that has started links to its task view.
 */
import type { MissionView, TaskView } from "../../shared/protocol.ts";
import { formatUsd } from "../lib/format.ts";
import { planRows, type PlanRow } from "../lib/missions.ts";
import { Link, paths } from "../lib/router.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

/** The plan of `mission`, joined with the live `tasks`. */
export function MissionPlan({ mission, tasks }: { mission: MissionView; tasks: ReadonlyMap<string, TaskView> }) {
  return (
    <ol className="mission-plan" data-testid="mission-plan">
      {planRows(mission, tasks).map((row) => (
        <li key={row.entry.key} className="plan-item" style={{ marginLeft: `${Math.min(row.level, 6) * 1.25}rem` }}>
          <PlanTask row={row} />
        </li>
      ))}
    </ol>
  );
}

function PlanTask({ row }: { row: PlanRow }) {
  const { entry, task } = row;
  const body = (
    <>
      <span className="plan-task-head">
        <span className="plan-key mono">{entry.key}</span>
        <StatusBadge status={row.status} testId="plan-task-status" />
      </span>
      <span className="plan-prompt">{entry.prompt}</span>
      <span className="plan-meta muted small">
        {entry.dependsOn.map((dep) => (
          <span key={dep} className="chip" data-testid="plan-task-dependency">
            after {dep}
          </span>
        ))}
        <span data-testid="plan-task-attempts">
          {entry.attempts} attempt{entry.attempts === 1 ? "" : "s"}
        </span>
        <span data-testid="plan-task-cost">{formatUsd(row.usage.costUsd)}</span>
      </span>
      {entry.error && (
        <span className="plan-error pre-wrap" data-testid="plan-task-error">
          {entry.error}
        </span>
      )}
      {task?.status === "waiting" && task.question && <span className="plan-question pre-wrap">Asks: {task.question}</span>}
    </>
  );
  const common = { "data-testid": "plan-task", "data-key": entry.key, "data-status": row.status };
  return entry.taskId ? (
    <Link to={paths.task(entry.taskId)} className="plan-task" {...common}>
      {body}
    </Link>
  ) : (
    <div className="plan-task" {...common}>
      {body}
    </div>
  );
}
