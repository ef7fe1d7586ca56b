/** The "Provider credentials" card of the settings page: the stored keys and the form to add one. */
import type { Credential } from "../lib/api.ts";
import { AddCredentialForm } from "./AddCredentialForm.tsx";
import { CredentialList } from "./CredentialList.tsx";

type Props = {
  credentials: Credential[];
  onAdded: (credential: Credential) => void;
  onDeleted: (id: string) => void;
};

/** Shows `credentials` (last four characters only) with delete buttons, then the add-a-key form. */
export function CredentialsCard({ credentials, onAdded, onDeleted }: Props) {
  return (
    <section className="card settings-card" data-testid="credentials-card">
      <h2>Provider credentials</h2>
      <p className="muted small">
        Your OpenAI and Anthropic API keys, used when you pay with your own keys. A key is checked with its provider before it is stored,
        kept encrypted, and never shown again — only its last four characters. When you have several keys for a provider, the newest is used.
      </p>
      <CredentialList credentials={credentials} onDeleted={onDeleted} />
      <AddCredentialForm onAdded={onAdded} />
    </section>
  );
}
