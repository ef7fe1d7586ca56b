/**
 * `/tokens`: your account (with your user id to share) and your personal access tokens — make
 * one (its secret shown this once, with a copy button), see them, revoke one. Tokens are for the
 * CLI, scripts and the AI proxy; this browser's own sign-in is a cookie, not a token.
 */
import { useState } from "react";
import type { User } from "../lib/api.ts";
import { listTokens, type NewToken } from "../lib/peopleApi.ts";
import { useLoader } from "../lib/useLoader.ts";
import { AccountCard } from "./AccountCard.tsx";
import { FormError } from "./FormError.tsx";
import { NewTokenForm } from "./NewTokenForm.tsx";
import { SecretOnce } from "./SecretOnce.tsx";
import { TokenList } from "./TokenList.tsx";

/** The tokens page of `user`. */
export function TokensPage({ user }: { user: User }) {
  const tokens = useLoader((signal) => listTokens(signal), []);
  const [fresh, setFresh] = useState<NewToken | null>(null);

  const created = (token: NewToken) => {
    setFresh(token);
    const { token: _secret, ...info } = token;
    tokens.setData((list) => [{ ...info, lastUsedAt: null }, ...(list ?? []).filter((t) => t.id !== token.id)]);
    // A first load still on its way would not have it: ask again (it aborts that load).
    tokens.reload();
  };
  const revoked = (id: string) => {
    tokens.setData((list) => (list ?? []).filter((t) => t.id !== id));
    if (fresh?.id === id) setFresh(null);
  };

  return (
    <div className="page narrow tokens-page" data-testid="tokens-page">
      <h1>Tokens</h1>
      <AccountCard user={user} />
      <section className="card">
        <h2>Personal access tokens</h2>
        <p className="muted small">
          A token signs in the CLI, a script or an AI tool (as its API key) as you, with everything you may do. Keep it secret;
          revoke it when it is no longer needed.
        </p>
        <NewTokenForm onCreated={created} />
        {fresh && (
          <SecretOnce
            title={`Your new token "${fresh.name}"`}
            secret={fresh.token}
            hint="Use it as a bearer token (Authorization: Bearer …)."
            onDismiss={() => setFresh(null)}
          />
        )}
        <FormError message={tokens.error} prefix="Could not load your tokens" />
        {tokens.loading && !tokens.data && <p className="muted">Loading…</p>}
        {tokens.data && <TokenList tokens={tokens.data} onRevoked={revoked} />}
      </section>
    </div>
  );
}
