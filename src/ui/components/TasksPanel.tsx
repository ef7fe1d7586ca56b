/** The tasks of a project: the "New task" form and the live task list (kept by `useProjectTasks`). */
import { getTask } from "../lib/api.ts";
import { useCanWrite } from "../lib/projectAccess.tsx";
import type { ProjectTasks } from "../lib/useProjectTasks.ts";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { TaskList } from "./TaskList.tsx";
import { FormError } from "./FormError.tsx";
import { ReadOnlyNotice } from "./ReadOnlyNotice.tsx";

/** New-task form (not for viewers) plus the task list of `projectId`; `live` is the project's live task list. */
export function TasksPanel({ projectId, live }: { projectId: string; live: ProjectTasks }) {
  const canWrite = useCanWrite();
  const created = async (taskId: string) => {
    try {
      live.upsert(await getTask(taskId));
    } catch {
      live.reload();
    }
  };

  return (
    <div className="tasks">
      {canWrite ? <NewTaskForm projectId={projectId} onCreated={created} /> : <ReadOnlyNotice what="start tasks" />}
      <div className="card">
        <h2>Tasks</h2>
        <FormError message={live.error} prefix="Could not load tasks" />
        {live.loading && !live.items && <p className="muted">Loading…</p>}
        {live.items && <TaskList tasks={live.items} />}
      </div>
    </div>
  );
}
