/**
 * Makes a VAPID key pair (RFC 8292) for browser push with Web Crypto: an ECDSA P-256 key whose
 * private half is exported as a JWK (`VAPID_PRIVATE_KEY`; its `d` is what `@block65/webcrypto-web-push` signs with)
 * and whose public half is the base64url of the uncompressed point (what browsers subscribe with:
 * `VAPID_PUBLIC_KEY`). Used by `npm start` (once per state directory) and the tests.
 * Deploying: `node scripts/vapid-keys.ts` prints a pair to put with `wrangler secret put`.
 */

/** A VAPID key pair: `publicKey` base64url (65-byte uncompressed point), `privateKey` a JWK as JSON. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

/** A new VAPID key pair (see the header). */
export async function generateVapidKeys(): Promise<VapidKeys> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { publicKey: Buffer.from(raw).toString("base64url"), privateKey: JSON.stringify({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d }) };
}

if (import.meta.main) {
  const keys = await generateVapidKeys();
  process.stdout.write(`VAPID_PUBLIC_KEY=${keys.publicKey}\nVAPID_PRIVATE_KEY=${keys.privateKey}\n`);
}
