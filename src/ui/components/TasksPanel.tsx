/** The tasks of a project: the "New task" form and the live task list (kept by `useProjectTasks`). */
import { getTask } from "../lib/api.ts";
import type { ProjectTasks } from "../lib/useProjectTasks.ts";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { TaskList } from "./TaskList.tsx";
import { FormError } from "./FormError.tsx";

/** New-task form plus the task list of `projectId`; `live` is the project's live task list. */
export function TasksPanel({ projectId, live }: { projectId: string; live: ProjectTasks }) {
  const created = async (taskId: string) => {
    try {
      live.upsert(await getTask(taskId));
    } catch {
      live.reload();
    }
  };

  return (
    <div className="tasks">
      <NewTaskForm projectId={projectId} onCreated={created} />
      <div className="card">
        <h2>Tasks</h2>
        <FormError message={live.error} prefix="Could not load tasks" />
        {live.loading && !live.items && <p className="muted">Loading…</p>}
        {live.items && <TaskList tasks={live.items} />}
      </div>
    </div>
  );
}
