/**
 * The state of a one-field text form: the text, whether a send is in flight, and its error.
 * `send` gets the trimmed text; on success the field is cleared, on failure the error is shown
 * and the text kept so the person can retry.
 */
import { useState, type FormEvent } from "react";
import { errorMessage } from "./api.ts";

/** What a one-field text form renders from. */
export interface TextSubmit {
  text: string;
  setText: (text: string) => void;
  busy: boolean;
  error: string | null;
  submit: (event: FormEvent) => Promise<void>;
}

/** React hook: a one-field text form that calls `send(trimmedText)` on submit (empty text is ignored). */
export function useTextSubmit(send: (text: string) => Promise<void>): TextSubmit {
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
      await send(trimmed);
      setText("");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return { text, setText, busy, error, submit };
}
