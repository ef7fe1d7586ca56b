/** The project's missions, kept live (`mission.updated` frames). */
import type { MissionView } from "../../shared/protocol.ts";
import { listMissions } from "./api.ts";
import { mergeMissions, upsertMission } from "./merge.ts";
import { useLiveList, type LiveList, type LiveListSource } from "./useLiveList.ts";

/** The live mission list of a project, newest first. */
export type ProjectMissions = LiveList<MissionView>;

const source: LiveListSource<MissionView> = {
  load: listMissions,
  itemOf: (frame, projectId) => (frame.type === "mission.updated" && frame.mission.projectId === projectId ? frame.mission : null),
  upsert: upsertMission,
  merge: mergeMissions,
};

/** React hook: the live missions of `projectId` (needs a ProjectSocketProvider above). */
export function useProjectMissions(projectId: string): ProjectMissions {
  return useLiveList(projectId, source);
}
