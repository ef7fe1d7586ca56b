/** The user's stored provider keys: provider, label, `…last4`, added and last used; each deletable. */
import { useState } from "react";
import { deleteCredential, errorMessage, type Credential } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { PROVIDER_NAMES } from "../lib/payerModes.ts";
import { FormError } from "./FormError.tsx";

/** Lists `credentials` (never a key: only its last four characters) and calls `onDeleted(id)` after a delete. */
export function CredentialList({ credentials, onDeleted }: { credentials: Credential[]; onDeleted: (id: string) => void }) {
  const [deleting, setDeleting] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const remove = async (credential: Credential) => {
    if (!window.confirm(`Delete the ${PROVIDER_NAMES[credential.provider]} key "${credential.label}" (…${credential.last4})?`)) return;
    setDeleting(credential.id);
    setError(null);
    try {
      await deleteCredential(credential.id);
      onDeleted(credential.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setDeleting(null);
    }
  };

  if (credentials.length === 0) {
    return (
      <p className="muted" data-testid="credentials-empty">
        No keys stored.
      </p>
    );
  }
  return (
    <>
      <ul className="list credential-list" data-testid="credential-list">
        {credentials.map((c) => (
          <li key={c.id} className="list-row" data-testid="credential-row" data-provider={c.provider}>
            <span className="credential-main">
              <span className="list-title">{c.label}</span>{" "}
              <span className="chip">{PROVIDER_NAMES[c.provider]}</span>{" "}
              <span className="mono" data-testid="credential-last4">
                …{c.last4}
              </span>
              <span className="muted small credential-dates">
                added {formatTime(c.createdAt)} · {c.lastUsedAt ? `last used ${formatTime(c.lastUsedAt)}` : "never used"}
              </span>
            </span>
            <button
              type="button"
              className="danger"
              data-testid="credential-delete-button"
              disabled={deleting !== null}
              onClick={() => void remove(c)}
            >
              {deleting === c.id ? "Deleting…" : "Delete"}
            </button>
          </li>
        ))}
      </ul>
      <FormError message={error} testId="credential-delete-error" prefix="Could not delete the key" />
    </>
  );
}
