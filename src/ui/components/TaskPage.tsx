/**
 * `/tasks/:id`: loads the task, then shows it live over its project's socket, with one's access
 * to the project (a viewer reads only; access lost while open is said so).
 */
import { getTask, type User } from "../lib/api.ts";
import { ProjectAccessProvider, useProjectAccess } from "../lib/projectAccess.tsx";
import { Link, paths } from "../lib/router.tsx";
import { ProjectSocketProvider } from "../lib/socketContext.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { LostAccess } from "./LostAccess.tsx";
import { TaskDetails } from "./TaskDetails.tsx";
import type { TaskView } from "../../shared/protocol.ts";

/** The task view page of `me`. */
export function TaskPage({ taskId, me }: { taskId: string; me: User }) {
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
    <ProjectAccessProvider projectId={task.data.projectId} me={me}>
      <LiveTask task={task.data} />
    </ProjectAccessProvider>
  );
}

/** The task over its project's socket while one has access; the "no longer have access" notice once it is lost. */
function LiveTask({ task }: { task: TaskView }) {
  const { lost } = useProjectAccess();
  if (lost) return <LostAccess projectId={task.projectId} />;
  return (
    <ProjectSocketProvider projectId={task.projectId}>
      <TaskDetails initialTask={task} />
    </ProjectSocketProvider>
  );
}
