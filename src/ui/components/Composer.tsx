/** The chat composer: Enter sends, Shift+Enter makes a new line. */
import { useState, type FormEvent, type KeyboardEvent } from "react";
import { MAX_MESSAGE_CHARS } from "../../shared/protocol.ts";
import { FormError } from "./FormError.tsx";

/** A message box and send button; `onSend` resolves to an error text or null. */
export function Composer({ onSend }: { onSend: (text: string) => Promise<string | null> }) {
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    const trimmed = text.trim();
    if (!trimmed || busy) return;
    setBusy(true);
    setError(null);
    const problem = await onSend(trimmed);
    setBusy(false);
    if (problem) setError(problem);
    else setText("");
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  };

  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        data-testid="chat-input"
        aria-label="Message"
        placeholder="Write a message…"
        rows={2}
        maxLength={MAX_MESSAGE_CHARS}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" data-testid="chat-send-button" disabled={busy || !text.trim()}>
        Send
      </button>
      <FormError message={error} />
    </form>
  );
}
