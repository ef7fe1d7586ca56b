/**
 * The project's missions, kept live: loaded once, then `mission.updated` frames, and a
 * refetch when the socket reopens (frames sent while it was closed are lost).
 */
import { useCallback, useEffect, useState } from "react";
import type { MissionView } from "../../actors/protocol.ts";
import { errorMessage, listMissions } from "./api.ts";
import { mergeMissions, upsertMission } from "./merge.ts";
import { useProjectFrames } from "./socketContext.tsx";

/** The live mission list of a project. */
export type ProjectMissions = {
  /** Newest first; undefined until the first load. */
  missions: MissionView[] | undefined;
  error: string | null;
  loading: boolean;
  /** Puts a mission the page learnt of on its own (created, paused...) into the list. */
  upsert: (mission: MissionView) => void;
};

/** React hook: the live missions of `projectId` (needs a ProjectSocketProvider above). */
export function useProjectMissions(projectId: string): ProjectMissions {
  const [list, setData] = useState<MissionView[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  // Merged rather than replaced: frames that arrived while the request was out may be newer.
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    listMissions(projectId)
      .then((fresh) => {
        if (controller.signal.aborted) return;
        setData((current) => mergeMissions(current ?? [], fresh));
        setError(null);
      })
      .catch((err: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(err));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [projectId, generation]);

  useProjectFrames({
    onFrame: (frame) => {
      if (frame.type === "mission.updated" && frame.mission.projectId === projectId) {
        setData((list) => upsertMission(list ?? [], frame.mission));
      }
    },
    onOpen: (reconnect) => {
      if (reconnect) setGeneration((g) => g + 1);
    },
  });

  return {
    missions: list,
    error,
    loading,
    upsert: (mission) => setData((list) => upsertMission(list ?? [], mission)),
  };
}
