/** A box to answer the question a task waits on (`ask_human`): POSTs `/api/tasks/:id/answer`. */
import type { TaskView } from "../../shared/protocol.ts";
import { answerTask } from "../lib/api.ts";
import { useTextSubmit } from "../lib/useTextSubmit.ts";
import { FormError } from "./FormError.tsx";

/** Answers `taskId`; `onAnswered` gets the task as the server shows it after the answer. */
export function AnswerForm({ taskId, onAnswered }: { taskId: string; onAnswered?: (task: TaskView) => void }) {
  const { text, setText, busy, error, submit } = useTextSubmit(async (text) => {
    const task = await answerTask(taskId, text);
    onAnswered?.(task);
  });

  return (
    <form className="answer-form" onSubmit={submit}>
      <textarea
        aria-label="Your answer"
        data-testid="answer-input"
        rows={2}
        placeholder="Your answer…"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <button type="submit" data-testid="answer-button" disabled={busy || !text.trim()}>
        {busy ? "Sending…" : "Answer"}
      </button>
      <FormError message={error} testId="answer-error" />
    </form>
  );
}
