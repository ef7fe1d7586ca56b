/** The paste-a-token box: checks the token with `GET /api/me`, then signs in. */
import { useState, type FormEvent } from "react";
import { ApiError, errorMessage, getMe } from "../lib/api.ts";
import { setToken } from "../lib/auth.ts";
import { FormError } from "./FormError.tsx";

/** Checks a token with the API; resolves to an error text, or null when it is good. */
export async function verifyToken(token: string): Promise<string | null> {
  try {
    await getMe(token);
    return null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return "That token is not valid (or has been revoked).";
    return errorMessage(error);
  }
}

/** A form to paste a token; on success stores it and calls `onSignedIn`. */
export function TokenForm({ onSignedIn }: { onSignedIn?: () => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    if (!token) return;
    setBusy(true);
    setError(null);
    const problem = await verifyToken(token);
    setBusy(false);
    if (problem) {
      setError(problem);
      return;
    }
    setToken(token);
    onSignedIn?.();
  };

  return (
    <form className="token-form" onSubmit={submit}>
      <label htmlFor="token-input">API token</label>
      <div className="row">
        <input
          id="token-input"
          data-testid="token-input"
          type="password"
          autoComplete="off"
          placeholder="paste a token"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" data-testid="token-submit-button" disabled={busy || !value.trim()}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </div>
      <FormError message={error} />
    </form>
  );
}
