/**
 * Adds a provider key: provider, key (a password field, emptied after every submit so the key
 * does not linger in the page) and an optional label. The server checks the key with the
 * provider before storing it; its refusal is shown as it explains itself.
 */
import { useState, type FormEvent } from "react";
import { addCredential, ApiError, CREDENTIAL_PROVIDERS, errorMessage, type Credential, type CredentialProvider } from "../lib/api.ts";
import { PROVIDER_NAMES } from "../lib/payerModes.ts";
import { FormError } from "./FormError.tsx";

/** What an error code of `POST /api/credentials` means for the person adding the key. */
function addErrorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return errorMessage(error);
  switch (error.code) {
    case "credential_invalid":
      return `The provider refused this key: ${error.message}`;
    case "upstream_unavailable":
      return `The key could not be checked, so it was not stored: ${error.message}`;
    case "encryption_unavailable":
      return `Keys cannot be stored on this server right now: ${error.message}`;
    default:
      return error.message;
  }
}

/** The add-a-key form; calls `onAdded` with the stored credential (its last four characters only). */
export function AddCredentialForm({ onAdded }: { onAdded: (credential: Credential) => void }) {
  const [provider, setProvider] = useState<CredentialProvider>("openai");
  const [key, setKey] = useState("");
  const [label, setLabel] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<Credential | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const trimmed = key.trim();
    if (!trimmed) {
      setError("Paste the key first.");
      return;
    }
    setBusy(true);
    setError(null);
    setAdded(null);
    // Cleared at once, whatever the outcome: the key should not stay in the page's state or DOM.
    setKey("");
    try {
      const credential = await addCredential({ provider, key: trimmed, ...(label.trim() ? { label: label.trim() } : {}) });
      setLabel("");
      setAdded(credential);
      onAdded(credential);
    } catch (err) {
      setError(addErrorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="credential-form" onSubmit={submit} data-testid="credential-form">
      <div className="credential-fields">
        <label>
          Provider
          <select value={provider} onChange={(e) => setProvider(e.target.value as CredentialProvider)} data-testid="credential-provider-select">
            {CREDENTIAL_PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {PROVIDER_NAMES[p]}
              </option>
            ))}
          </select>
        </label>
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder={provider === "openai" ? "sk-…" : "sk-ant-…"}
            data-testid="credential-key-input"
          />
        </label>
        <label>
          <span>
            Label <span className="muted small">(optional)</span>
          </span>
          <input value={label} onChange={(e) => setLabel(e.target.value)} maxLength={100} placeholder={`${provider} key`} data-testid="credential-label-input" />
        </label>
      </div>
      <div className="row">
        <button type="submit" disabled={busy} data-testid="credential-add-button">
          {busy ? "Checking the key…" : "Add key"}
        </button>
        {added && (
          <span className="muted small" data-testid="credential-added" role="status">
            Stored {PROVIDER_NAMES[added.provider]} key …{added.last4}.
          </span>
        )}
      </div>
      <FormError message={error} testId="credential-error" />
    </form>
  );
}
