/** `/tasks/:id`: loads the task, then shows it live over its project's socket. */
import { getTask } from "../lib/api.ts";
import { Link, paths } from "../lib/router.tsx";
import { ProjectSocketProvider } from "../lib/socketContext.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { TaskDetails } from "./TaskDetails.tsx";

/** The task view page. */
export function TaskPage({ taskId }: { taskId: string }) {
  const task = useLoader((signal) => getTask(taskId, signal), [taskId]);

  if (!task.data) {
    return (
      <div className="page narrow">
        <Link to={paths.projects()} className="muted small">
          ← Projects
        </Link>
        {task.error ? (
          <p className="form-error" role="alert">
            Could not load task {taskId}: {task.error}
          </p>
        ) : (
          <p className="muted">Loading task…</p>
        )}
      </div>
    );
  }
  return (
    <ProjectSocketProvider projectId={task.data.projectId}>
      <TaskDetails initialTask={task.data} />
    </ProjectSocketProvider>
  );
}
