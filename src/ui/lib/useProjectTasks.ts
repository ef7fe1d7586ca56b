/**
 * The project's tasks, kept live (`task.updated` frames). One list shared by the task list, the
 * missions view and pending questions.
 */
import type { TaskView } from "../../shared/protocol.ts";
import { listTasks } from "./api.ts";
import { mergeTasks, upsertTask } from "./merge.ts";
import { useLiveList, type LiveList, type LiveListSource } from "./useLiveList.ts";

/** The live task list of a project, newest first. */
export type ProjectTasks = LiveList<TaskView>;

const source: LiveListSource<TaskView> = {
  load: listTasks,
  itemOf: (frame, projectId) => (frame.type === "task.updated" && frame.task.projectId === projectId ? frame.task : null),
  upsert: upsertTask,
  merge: mergeTasks,
};

/** React hook: the live tasks of `projectId` (needs a ProjectSocketProvider above). */
export function useProjectTasks(projectId: string): ProjectTasks {
  return useLiveList(projectId, source);
}
