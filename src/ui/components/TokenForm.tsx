/** The paste-a-token box: swaps a personal access token for this browser's sign-in (the token itself is not kept). */
import { useState, type FormEvent } from "react";
import { signInWithToken } from "../lib/session.ts";
import { FormError } from "./FormError.tsx";

/** A form to paste a token; on success the session becomes signed in and `onSignedIn` runs. */
export function TokenForm({ onSignedIn }: { onSignedIn?: () => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    if (!token || busy) return;
    setBusy(true);
    setError(null);
    const problem = await signInWithToken(token);
    setBusy(false);
    if (problem) {
      setError(problem);
      return;
    }
    setValue("");
    onSignedIn?.();
  };

  return (
    <form className="token-form" onSubmit={submit}>
      <label htmlFor="token-input">Personal access token</label>
      <div className="row">
        <input
          id="token-input"
          data-testid="token-input"
          type="password"
          autoComplete="off"
          placeholder="sam_pat_…"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" data-testid="token-submit-button" disabled={busy || !value.trim()}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </div>
      <FormError message={error} testId="token-error" />
    </form>
  );
}
