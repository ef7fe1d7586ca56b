/** The signed-in person's personal access tokens: name, made, expires, last used; each revocable after a confirm. */
import { useState } from "react";
import { errorMessage } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { revokeToken, type TokenInfo } from "../lib/peopleApi.ts";
import { FormError } from "./FormError.tsx";

/** Lists `tokens` (never a secret) and calls `onRevoked(id)` after a revoke. */
export function TokenList({ tokens, onRevoked }: { tokens: TokenInfo[]; onRevoked: (id: string) => void }) {
  const [revoking, setRevoking] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const revoke = async (token: TokenInfo) => {
    if (!window.confirm(`Revoke the token "${token.name}"? Anything using it stops working at once.`)) return;
    setRevoking(token.id);
    setError(null);
    try {
      await revokeToken(token.id);
      onRevoked(token.id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setRevoking(null);
    }
  };

  if (tokens.length === 0) {
    return (
      <p className="muted" data-testid="tokens-empty">
        No tokens.
      </p>
    );
  }
  return (
    <>
      <ul className="list token-list" data-testid="token-list">
        {tokens.map((t) => (
          <li key={t.id} className="list-row" data-testid="token-row" data-token-id={t.id}>
            <span className="token-main">
              <span className="list-title" data-testid="token-row-name">
                {t.name}
              </span>
              <span className="muted small">
                made {formatTime(t.createdAt)} · {t.expiresAt ? `expires ${formatTime(t.expiresAt)}` : "never expires"} ·{" "}
                {t.lastUsedAt ? `last used ${formatTime(t.lastUsedAt)}` : "never used"}
              </span>
            </span>
            <button type="button" className="danger" data-testid="token-revoke-button" disabled={revoking !== null} onClick={() => void revoke(t)}>
              {revoking === t.id ? "Revoking…" : "Revoke"}
            </button>
          </li>
        ))}
      </ul>
      <FormError message={error} testId="token-revoke-error" prefix="Could not revoke the token" />
    </>
  );
}
