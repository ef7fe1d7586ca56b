/**
 * Adds a person (for teams without GitHub sign-in): their name; the answer carries their first
 * personal access token, which the admin hands over (shown once, copyable). They sign in by
 * pasting it on the sign-in page.
 */
import { useState } from "react";
import { addAccount, type Account } from "../lib/peopleApi.ts";
import { useTextSubmit } from "../lib/useTextSubmit.ts";
import { FormError } from "./FormError.tsx";
import { SecretOnce } from "./SecretOnce.tsx";

/** The form; `onAdded` gets the new (active) account. */
export function AddUserForm({ onAdded }: { onAdded: (account: Account) => void }) {
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const { text: name, setText: setName, busy, error, submit } = useTextSubmit(async (trimmed) => {
    const { user, token } = await addAccount(trimmed);
    setMade({ name: user.name, token });
    onAdded(user);
  });

  return (
    <section className="card">
      <h2>Add a person</h2>
      <form className="form-inline" onSubmit={submit}>
        <label htmlFor="new-user-name" className="visually-hidden">
          Name
        </label>
        <input id="new-user-name" data-testid="new-user-name-input" placeholder="Their name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        <button type="submit" data-testid="new-user-add-button" disabled={busy || !name.trim()}>
          {busy ? "Adding…" : "Add person"}
        </button>
        <FormError message={error} testId="new-user-error" />
      </form>
      {made && (
        <SecretOnce
          title={`The sign-in token of ${made.name}`}
          secret={made.token}
          hint="Give it to them privately: they paste it on SAM's sign-in page (it is also their API token)."
          onDismiss={() => setMade(null)}
        />
      )}
    </section>
  );
}
