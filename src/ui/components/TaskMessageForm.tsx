/** A box to give a running task a message (`POST /api/tasks/:id/messages`); it shows in the transcript. */
import { useState, type FormEvent } from "react";
import { errorMessage, messageTask } from "../lib/api.ts";
import { FormError } from "./FormError.tsx";

/** Sends messages to `taskId`. */
export function TaskMessageForm({ taskId }: { taskId: string }) {
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
      await messageTask(taskId, trimmed);
      setText("");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card task-message-form" onSubmit={submit}>
      <label htmlFor="task-message">Message the task</label>
      <div className="row">
        <input
          id="task-message"
          data-testid="task-message-input"
          placeholder="Guidance for the running task…"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" data-testid="task-message-button" disabled={busy || !text.trim()}>
          Send
        </button>
      </div>
      <FormError message={error} />
    </form>
  );
}
