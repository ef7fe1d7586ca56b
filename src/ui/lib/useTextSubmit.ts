/**
 * The state of a one-field text form: the text, whether a send is in flight, and its error.
 * `send` gets the trimmed text; on success the field is cleared, on failure the error is shown
 * and the text kept so the person can retry (the saving itself: useSaving.ts).
 */
import { useState, type FormEvent } from "react";
import { useSaving } from "./useSaving.ts";

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
  const saving = useSaving();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (!trimmed) return;
    if (await saving.run(() => send(trimmed))) setText("");
  };
  return { text, setText, busy: saving.busy, error: saving.error, submit };
}
