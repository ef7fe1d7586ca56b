/**
 * Secret tokens SAM hands out (personal access tokens `sam_pat_...`, device codes) and how they
 * are stored: never in clear, only as a keyed hash, HMAC-SHA256 under `TOKEN_HASH_KEY`
 * (WebCrypto), so a copy of the database alone cannot be used to check guesses offline.
 */
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";

/** Prefix of a personal access token. */
export const PAT_PREFIX = "sam_pat_";

/** The token key is not configured: tokens can neither be made nor checked (a 503). */
export class TokenKeyUnavailableError extends Error {
  constructor() {
    super("TOKEN_HASH_KEY is not set: tokens cannot be checked (npm start makes one into .dev.vars; deployed: wrangler secret put TOKEN_HASH_KEY)");
    this.name = "TokenKeyUnavailableError";
  }
}

/** `prefix` followed by 32 random bytes (256 bits) in lower-case base32: 52 characters. */
export function newSecret(prefix: string): string {
  return prefix + encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(32)));
}

const hmacKeys = new Map<string, Promise<CryptoKey>>();

/** The HMAC key made from `TOKEN_HASH_KEY` (any string; `npm start` makes 32 random bytes, base64), once per isolate. */
function hmacKey(env: Env): Promise<CryptoKey> {
  const secret = env.TOKEN_HASH_KEY;
  if (!secret) throw new TokenKeyUnavailableError();
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/**
 * The stored form of a secret: hex HMAC-SHA256 of `secret` under `TOKEN_HASH_KEY` (64 characters).
 * @throws TokenKeyUnavailableError when the key is not configured.
 */
export async function secretDigest(env: Env, secret: string): Promise<string> {
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(env), new TextEncoder().encode(secret));
  return encodeHexLowerCase(new Uint8Array(signature));
}

/** Hex SHA-256 of a string: the unkeyed hash of tokens stored before keyed hashes (read only to upgrade them). */
export async function legacySha256Hex(text: string): Promise<string> {
  return encodeHexLowerCase(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}
