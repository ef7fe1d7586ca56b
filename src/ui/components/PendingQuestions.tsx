/**
 * Questions tasks wait on (`ask_human`), shown at the top of the project page, each with its
 * task, the question and an answer box. Renders nothing while no task waits on a person.
 */
import type { TaskView } from "../../shared/protocol.ts";
import { useCanWrite } from "../lib/projectAccess.tsx";
import { Link, paths } from "../lib/router.tsx";
import { AnswerForm } from "./AnswerForm.tsx";
import { Markdown } from "./Markdown.tsx";

/** The waiting tasks among `tasks` with their questions; `onAnswered` gets the task after an answer. */
export function PendingQuestions({ tasks, onAnswered }: { tasks: TaskView[] | undefined; onAnswered: (task: TaskView) => void }) {
  const waiting = (tasks ?? []).filter((t) => t.status === "waiting" && t.question !== null);
  const canWrite = useCanWrite();
  if (waiting.length === 0) return null;
  return (
    <section className="card pending-questions" data-testid="pending-questions" aria-label="Questions waiting for you">
      <h2>
        {waiting.length === 1 ? "A task is waiting for your answer" : `${waiting.length} tasks are waiting for your answers`}
      </h2>
      <ul className="question-list">
        {waiting.map((task) => (
          <li key={task.id} className="pending-question" data-testid="pending-question" data-task-id={task.id}>
            <Markdown text={task.question ?? ""} className="question-text" testId="pending-question-text" />
            <p className="muted small">
              Asked by{" "}
              <Link to={paths.task(task.id)} className="mono">
                {task.id}
              </Link>{" "}
              · {task.prompt.length > 120 ? `${task.prompt.slice(0, 120)}…` : task.prompt}
            </p>
            {canWrite && <AnswerForm taskId={task.id} onAnswered={onAnswered} />}
          </li>
        ))}
      </ul>
    </section>
  );
}
