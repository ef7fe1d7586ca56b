/** The tasks of a project: the "New task" form and the live task list (`task.updated` frames). */
import { getTask, listTasks } from "../lib/api.ts";
import { mergeTasks, upsertTask } from "../lib/merge.ts";
import { useProjectFrames } from "../lib/socketContext.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { NewTaskForm } from "./NewTaskForm.tsx";
import { TaskList } from "./TaskList.tsx";
import { FormError } from "./FormError.tsx";

/** New-task form plus the task list of `projectId`, kept live. */
export function TasksPanel({ projectId }: { projectId: string }) {
  const tasks = useLoader(() => listTasks(projectId), [projectId]);

  useProjectFrames({
    onFrame: (frame) => {
      if (frame.type === "task.updated" && frame.task.projectId === projectId) {
        tasks.setData((list) => upsertTask(list ?? [], frame.task));
      }
    },
    onOpen: (reconnect) => {
      if (!reconnect) return;
      listTasks(projectId)
        .then((fresh) => tasks.setData((list) => mergeTasks(list ?? [], fresh)))
        .catch(() => {});
    },
  });

  const created = async (taskId: string) => {
    try {
      const task = await getTask(taskId);
      tasks.setData((list) => upsertTask(list ?? [], task));
    } catch {
      tasks.reload();
    }
  };

  return (
    <div className="tasks">
      <NewTaskForm projectId={projectId} onCreated={created} />
      <div className="card">
        <h2>Tasks</h2>
        <FormError message={tasks.error} prefix="Could not load tasks" />
        {tasks.loading && !tasks.data && <p className="muted">Loading…</p>}
        {tasks.data && <TaskList tasks={tasks.data} />}
      </div>
    </div>
  );
}
