/**
 * The missions view of a project: the mission list, the selected mission's live plan, and a
 * form to start one. Selection defaults to the newest mission.
 */
import { useMemo, useState } from "react";
import type { TaskView } from "../../shared/protocol.ts";
import { getMission } from "../lib/api.ts";
import { tasksById } from "../lib/missions.ts";
import { useCanWrite } from "../lib/projectAccess.tsx";
import type { ProjectMissions } from "../lib/useProjectMissions.ts";
import { FormError } from "./FormError.tsx";
import { MissionDetails } from "./MissionDetails.tsx";
import { MissionList } from "./MissionList.tsx";
import { NewMissionForm } from "./NewMissionForm.tsx";

type Props = {
  projectId: string;
  /** The project's live missions. */
  live: ProjectMissions;
  /** The project's live tasks, joined with the plans by task id. */
  tasks: TaskView[] | undefined;
};

/** Missions of `projectId`, live. */
export function MissionsPanel({ projectId, live, tasks }: Props) {
  const [chosenId, setChosenId] = useState<string | null>(null);
  const canWrite = useCanWrite();
  const byId = useMemo(() => tasksById(tasks), [tasks]);
  const missions = live.items ?? [];
  const selected = missions.find((m) => m.id === chosenId) ?? missions[0] ?? null;

  const created = (missionId: string) => {
    setChosenId(missionId);
    // The frame usually comes first; this covers a socket that is not open.
    getMission(missionId)
      .then(live.upsert)
      .catch(() => {});
  };

  return (
    <div className="missions" data-testid="missions-panel">
      <div className="card">
        <h2>Missions</h2>
        <FormError message={live.error} prefix="Could not load missions" />
        {live.loading && !live.items && <p className="muted">Loading…</p>}
        {live.items && <MissionList missions={missions} tasks={byId} selectedId={selected?.id ?? null} onSelect={setChosenId} />}
      </div>
      {selected && (
        <div className="card">
          <MissionDetails mission={selected} tasks={byId} onChanged={live.upsert} />
        </div>
      )}
      {canWrite && (
        <details className="card">
          <summary data-testid="new-mission-toggle">New mission</summary>
          <NewMissionForm projectId={projectId} onCreated={created} />
        </details>
      )}
    </div>
  );
}
