/**
 * `/settings`: the user's model settings — who pays for model calls (payer mode) and the
 * provider keys used when the user pays — and where notifications go beyond the page (browser
 * push, an outgoing webhook). Project overrides live in each project's settings.
 */
import { getSettings, listCredentials, type Credential, type CredentialProvider } from "../lib/api.ts";
import { useLoader } from "../lib/useLoader.ts";
import { CredentialsCard } from "./CredentialsCard.tsx";
import { FormError } from "./FormError.tsx";
import { NotificationSettings } from "./NotificationSettings.tsx";
import { PayerModeCard } from "./PayerModeCard.tsx";

/** The settings page: loads the payer mode and the credentials, and keeps both cards in step. */
export function SettingsPage() {
  const settings = useLoader((signal) => getSettings(signal), []);
  const credentials = useLoader((signal) => listCredentials(signal), []);

  const list = credentials.data ?? [];
  const providersWithKeys = new Set<CredentialProvider>(list.map((c) => c.provider));
  // The server lists newest first; a new key goes on top to match.
  const added = (credential: Credential) => credentials.setData((old) => [credential, ...(old ?? []).filter((c) => c.id !== credential.id)]);
  const deleted = (id: string) => credentials.setData((old) => (old ?? []).filter((c) => c.id !== id));

  return (
    <div className="page settings-page" data-testid="settings-page">
      <h1>Settings</h1>
      <FormError message={settings.error} prefix="Could not load the payer mode" />
      {settings.data && (
        <PayerModeCard
          payerMode={settings.data.payerMode}
          providersWithKeys={providersWithKeys}
          onSaved={(payerMode) => settings.setData({ payerMode })}
        />
      )}
      <FormError message={credentials.error} prefix="Could not load your keys" />
      {credentials.data && <CredentialsCard credentials={list} onAdded={added} onDeleted={deleted} />}
      {(settings.loading || credentials.loading) && !(settings.data && credentials.data) && <p className="muted">Loading…</p>}
      <NotificationSettings />
    </div>
  );
}
