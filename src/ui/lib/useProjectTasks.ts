/**
 * The project's tasks, kept live: loaded once, then `task.updated` frames, and a refetch when
 * the socket reopens. One list shared by the task list, the missions view and pending questions.
 */
import { useCallback, useEffect, useState } from "react";
import type { TaskView } from "../../actors/protocol.ts";
import { errorMessage, listTasks } from "./api.ts";
import { mergeTasks, upsertTask } from "./merge.ts";
import { useProjectFrames } from "./socketContext.tsx";

/** The live task list of a project. */
export type ProjectTasks = {
  /** Newest first; undefined until the first load. */
  tasks: TaskView[] | undefined;
  error: string | null;
  loading: boolean;
  /** Puts a task the page learnt of on its own (e.g. just created, just answered) into the list. */
  upsert: (task: TaskView) => void;
  reload: () => void;
};

/** React hook: the live tasks of `projectId` (needs a ProjectSocketProvider above). */
export function useProjectTasks(projectId: string): ProjectTasks {
  const [list, setData] = useState<TaskView[] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  // Merged rather than replaced: frames that arrived while the request was out may be newer.
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    listTasks(projectId)
      .then((fresh) => {
        if (controller.signal.aborted) return;
        setData((current) => mergeTasks(current ?? [], fresh));
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
      if (frame.type === "task.updated" && frame.task.projectId === projectId) {
        setData((list) => upsertTask(list ?? [], frame.task));
      }
    },
    onOpen: (reconnect) => {
      if (reconnect) setGeneration((g) => g + 1);
    },
  });

  return {
    tasks: list,
    error,
    loading,
    upsert: (task) => setData((list) => upsertTask(list ?? [], task)),
    reload: useCallback(() => setGeneration((g) => g + 1), []),
  };
}
