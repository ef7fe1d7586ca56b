/** Makes a personal access token: a name and a lifetime; the new token is handed to `onCreated` (to be shown once). */
import { useState } from "react";
import { createToken, type NewToken } from "../lib/peopleApi.ts";
import { lifetimeLabel, TOKEN_LIFETIMES } from "../lib/peopleRules.ts";
import { useTextSubmit } from "../lib/useTextSubmit.ts";
import { FormError } from "./FormError.tsx";

/** The form; `onCreated` gets the token with its secret. */
export function NewTokenForm({ onCreated }: { onCreated: (token: NewToken) => void }) {
  const [lifetime, setLifetime] = useState<string>(String(TOKEN_LIFETIMES[0]));
  const { text: name, setText: setName, busy, error, submit } = useTextSubmit(async (trimmed) => {
    const days = lifetime === "never" ? undefined : Number(lifetime);
    onCreated(await createToken(days === undefined ? { name: trimmed } : { name: trimmed, expiresInDays: days }));
  });

  return (
    <form className="form-inline new-token" onSubmit={submit}>
      <label htmlFor="token-name" className="visually-hidden">
        Token name
      </label>
      <input
        id="token-name"
        data-testid="token-name-input"
        placeholder="What is it for? (e.g. laptop CLI)"
        value={name}
        maxLength={100}
        onChange={(e) => setName(e.target.value)}
      />
      <select aria-label="Expires" data-testid="token-lifetime-select" value={lifetime} onChange={(e) => setLifetime(e.target.value)}>
        {TOKEN_LIFETIMES.map((days) => (
          <option key={String(days)} value={days === null ? "never" : String(days)}>
            {days === null ? "never expires" : `expires in ${lifetimeLabel(days)}`}
          </option>
        ))}
      </select>
      <button type="submit" data-testid="token-create-button" disabled={busy || !name.trim()}>
        {busy ? "Creating…" : "Create token"}
      </button>
      <FormError message={error} testId="token-create-error" />
    </form>
  );
}
