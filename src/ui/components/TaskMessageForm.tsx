/** A box to give a running task a message (`POST /api/tasks/:id/messages`); it shows in the transcript. */
import { messageTask } from "../lib/api.ts";
import { useTextSubmit } from "../lib/useTextSubmit.ts";
import { FormError } from "./FormError.tsx";

/** Sends messages to `taskId`. */
export function TaskMessageForm({ taskId }: { taskId: string }) {
  const { text, setText, busy, error, submit } = useTextSubmit(async (text) => {
    await messageTask(taskId, text);
  });

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
