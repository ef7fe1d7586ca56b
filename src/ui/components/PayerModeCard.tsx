/**
 * The "Who pays" card of the settings page: the user's payer mode as a radio choice, each with a
 * sentence explaining it, saved with `PUT /api/me/settings` as soon as it is picked.
 */
import { useState } from "react";
import { CREDENTIAL_PROVIDERS, errorMessage, PAYER_MODES, putSettings, type CredentialProvider, type PayerMode } from "../lib/api.ts";
import { PAYER_MODE_TEXT, PROVIDER_NAMES } from "../lib/payerModes.ts";
import { FormError } from "./FormError.tsx";

type Props = {
  /** The stored payer mode. */
  payerMode: PayerMode;
  /** Providers the user has a key for, to warn about the others in own-key mode. */
  providersWithKeys: ReadonlySet<CredentialProvider>;
  /** Called with the mode the server stored. */
  onSaved: (payerMode: PayerMode) => void;
};

/** Shows and changes who pays for the user's model calls; warns when own-key lacks a provider's key. */
export function PayerModeCard({ payerMode, providersWithKeys, onSaved }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  // The mode being saved, shown as chosen at once; dropped (back to the stored one) on failure.
  const [pending, setPending] = useState<PayerMode | null>(null);
  const shown = pending ?? payerMode;

  const choose = async (mode: PayerMode) => {
    if (busy || mode === payerMode) return;
    setPending(mode);
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      onSaved((await putSettings({ payerMode: mode })).payerMode);
      setSaved(true);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setPending(null);
      setBusy(false);
    }
  };

  const missing = CREDENTIAL_PROVIDERS.filter((p) => !providersWithKeys.has(p));
  return (
    <section className="card settings-card" data-testid="payer-mode-card">
      <h2>Who pays</h2>
      <fieldset className="choice-list" disabled={busy}>
        <legend className="visually-hidden">Payer mode</legend>
        {PAYER_MODES.map((mode) => (
          <label key={mode} className="choice">
            <input
              type="radio"
              name="payer-mode"
              value={mode}
              checked={shown === mode}
              onChange={() => void choose(mode)}
              data-testid={`payer-mode-${mode}`}
            />
            <span>
              <span className="choice-title">{PAYER_MODE_TEXT[mode].title}</span>
              <span className="muted small choice-description">{PAYER_MODE_TEXT[mode].description}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {shown === "own-key" && missing.length > 0 && (
        <p className="notice small" data-testid="payer-mode-missing-keys" role="status">
          You have no {missing.map((p) => PROVIDER_NAMES[p]).join(" or ")} key: calls to{" "}
          {missing.length > 1 ? "those providers" : "that provider"} will fail until you add one below.
        </p>
      )}
      <FormError message={error} testId="payer-mode-error" prefix="Could not change who pays" />
      {saved && (
        <p className="muted small" data-testid="payer-mode-saved" role="status">
          Saved.
        </p>
      )}
    </section>
  );
}
