/**
 * Validation of a provider key before it is stored: one cheap upstream call through AI Gateway
 * that costs no tokens (listing the provider's models). The key travels only in that request's
 * headers; no answer body is ever shown or logged, since providers may echo the key in it.
 */
import type { CredentialProvider } from "./catalog.ts";
import { gatewayBaseUrl } from "./registry.ts";

/** Outcome of a key check: valid, rejected by the provider, or not checkable right now. */
export type KeyCheck =
  | { ok: true }
  | { ok: false; reason: "rejected"; message: string }
  | { ok: false; reason: "unavailable"; message: string };

/**
 * Checks `key` against `provider`: `GET <gateway>/openai/models` with `authorization: Bearer`,
 * or `GET <gateway>/anthropic/v1/models` with `x-api-key`. 401/403 mean rejected; other
 * failures (gateway not configured, network, 5xx) mean the key could not be checked.
 */
export async function checkProviderKey(env: Env, provider: CredentialProvider, key: string): Promise<KeyCheck> {
  let base: string;
  try {
    base = gatewayBaseUrl(env);
  } catch (error) {
    return { ok: false, reason: "unavailable", message: `keys cannot be checked: ${error instanceof Error ? error.message : String(error)}` };
  }
  const headers: Record<string, string> =
    provider === "openai" ? { authorization: `Bearer ${key}` } : { "x-api-key": key, "anthropic-version": "2023-06-01" };
  if (env.AI_GATEWAY_TOKEN) headers["cf-aig-authorization"] = `Bearer ${env.AI_GATEWAY_TOKEN}`;
  const url = provider === "openai" ? `${base}/openai/models` : `${base}/anthropic/v1/models`;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    return { ok: false, reason: "unavailable", message: `${provider} could not be reached to check the key (${error instanceof Error ? error.name : "error"})` };
  }
  await response.body?.cancel();
  if (response.ok) return { ok: true };
  if (response.status === 401 || response.status === 403) return { ok: false, reason: "rejected", message: `${provider} rejected the key (HTTP ${response.status}); it was not stored` };
  return { ok: false, reason: "unavailable", message: `the key could not be checked: ${provider} answered HTTP ${response.status}; it was not stored` };
}
