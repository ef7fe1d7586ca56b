/** One mission: goal, status, live cost, summary or error, its controls, and its plan. */
import type { MissionView, TaskView } from "../../shared/protocol.ts";
import { formatTime, formatUsage } from "../lib/format.ts";
import { liveMissionUsage } from "../lib/missions.ts";
import { useCanWrite } from "../lib/projectAccess.tsx";
import { Markdown } from "./Markdown.tsx";
import { MissionControls } from "./MissionControls.tsx";
import { MissionPlan } from "./MissionPlan.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

type Props = {
  mission: MissionView;
  tasks: ReadonlyMap<string, TaskView>;
  onChanged: (mission: MissionView) => void;
};

/** The selected mission, live; `onChanged` receives the mission returned by a control action (controls not for viewers). */
export function MissionDetails({ mission, tasks, onChanged }: Props) {
  const canWrite = useCanWrite();
  return (
    <div className="mission-details" data-testid="mission-details" data-mission-id={mission.id}>
      <div className="mission-title-row">
        <h3 className="mission-title pre-wrap">{mission.goal}</h3>
        <StatusBadge status={mission.status} testId="mission-status" />
      </div>
      <p className="muted small">
        <span data-testid="mission-cost">{formatUsage(liveMissionUsage(mission, tasks))}</span> · up to {mission.maxConcurrent} at once ·{" "}
        {mission.maxRetries} retr{mission.maxRetries === 1 ? "y" : "ies"} · {formatTime(mission.createdAt)}
      </p>
      {mission.summary && (
        <Markdown text={mission.summary} testId="mission-summary" />
      )}
      {mission.error && (
        <p className="form-error pre-wrap" data-testid="mission-error">
          {mission.error}
        </p>
      )}
      {canWrite && <MissionControls mission={mission} onChanged={onChanged} />}
      <MissionPlan mission={mission} tasks={tasks} />
    </div>
  );
}
