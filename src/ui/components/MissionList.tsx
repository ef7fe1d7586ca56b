/** The missions of a project, newest first: goal, status, progress and cost; a click selects one. */
import type { MissionView, TaskView } from "../../shared/protocol.ts";
import { formatUsd } from "../lib/format.ts";
import { liveMissionUsage } from "../lib/missions.ts";
import { StatusBadge } from "./StatusBadge.tsx";

type Props = {
  missions: MissionView[];
  tasks: ReadonlyMap<string, TaskView>;
  selectedId: string | null;
  onSelect: (missionId: string) => void;
};

/** Rows of missions with live status and cost; the selected one highlighted. */
export function MissionList({ missions, tasks, selectedId, onSelect }: Props) {
  if (missions.length === 0) return <p className="muted small">No missions yet.</p>;
  return (
    <ul className="mission-list">
      {missions.map((mission) => {
        const done = mission.tasks.filter((t) => t.status === "succeeded").length;
        return (
          <li key={mission.id}>
            <button
              type="button"
              className={`mission-row${mission.id === selectedId ? " selected" : ""}`}
              data-testid="mission-row"
              data-mission-id={mission.id}
              aria-pressed={mission.id === selectedId}
              onClick={() => onSelect(mission.id)}
            >
              <span className="mission-row-main">
                <span className="mission-goal">{mission.goal}</span>
                <span className="muted small">
                  {done}/{mission.tasks.length} done · {formatUsd(liveMissionUsage(mission, tasks).costUsd)}
                </span>
              </span>
              <StatusBadge status={mission.status} testId="mission-row-status" />
            </button>
          </li>
        );
      })}
    </ul>
  );
}
