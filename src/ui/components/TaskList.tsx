/** The list of tasks, newest first; each row links to the task view and shows its status. */
import type { TaskView } from "../../shared/protocol.ts";
import { formatTime } from "../lib/format.ts";
import { Link, paths } from "../lib/router.tsx";
import { StatusBadge } from "./StatusBadge.tsx";

/** Rows of tasks with live status badges. */
export function TaskList({ tasks }: { tasks: TaskView[] }) {
  if (tasks.length === 0) return <p className="muted small">No tasks yet.</p>;
  return (
    <ul className="task-list">
      {tasks.map((task) => (
        <li key={task.id}>
          <Link to={paths.task(task.id)} className="task-row" data-testid="task-row" data-task-id={task.id}>
            <span className="task-row-main">
              <span className="task-prompt">{task.prompt}</span>
              <span className="muted small">
                {task.model} · {task.steps} step{task.steps === 1 ? "" : "s"} · {formatTime(task.createdAt)}
              </span>
            </span>
            <StatusBadge status={task.status} />
          </Link>
        </li>
      ))}
    </ul>
  );
}
