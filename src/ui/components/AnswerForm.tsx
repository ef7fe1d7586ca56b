/** A box to answer the question a task waits on (`ask_human`): POSTs `/api/tasks/:id/answer`. */
import { useState, type FormEvent } from "react";
import type { TaskView } from "../../actors/protocol.ts";
import { answerTask, errorMessage } from "../lib/api.ts";
import { FormError } from "./FormError.tsx";

/** Answers `taskId`; `onAnswered` gets the task as the server shows it after the answer. */
export function AnswerForm({ taskId, onAnswered }: { taskId: string; onAnswered?: (task: TaskView) => void }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (!trimmed || busy) return;
    setBusy(true);
    setError(null);
    try {
      const task = await answerTask(taskId, trimmed);
      setText("");
      onAnswered?.(task);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

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
