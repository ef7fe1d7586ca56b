/**
 * Provider credentials at rest: AES-256-GCM (WebCrypto) under the `ENCRYPTION_KEY` secret
 * (32 random bytes, base64). Each credential has its own random 96-bit IV, and the owner and
 * credential ids are bound in as additional data, so a ciphertext copied onto another user or
 * credential does not decrypt. Plain keys exist only in memory, at the moment of a call.
 */

/** A credential as stored: base64 IV and ciphertext (with the GCM tag). */
export interface SealedSecret {
  iv: string;
  ciphertext: string;
}

/** The encryption key is missing or malformed; nothing can be encrypted or decrypted. */
export class EncryptionUnavailableError extends Error {
  readonly code = "encryption_unavailable";
  constructor(message: string) {
    super(message);
    this.name = "EncryptionUnavailableError";
  }
}

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

/**
 * Imports `ENCRYPTION_KEY` (base64 of 32 bytes) as a non-extractable AES-GCM key.
 * @throws EncryptionUnavailableError when it is absent or not 32 bytes of base64.
 */
export function encryptionKey(secret: string | undefined): Promise<CryptoKey> {
  if (!secret) throw new EncryptionUnavailableError("ENCRYPTION_KEY is not set: credentials cannot be stored or used");
  let cached = keyCache.get(secret);
  if (!cached) {
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = fromBase64(secret.trim());
    } catch {
      throw new EncryptionUnavailableError("ENCRYPTION_KEY is not base64");
    }
    if (raw.length !== 32) throw new EncryptionUnavailableError("ENCRYPTION_KEY must be 32 bytes (base64)");
    cached = crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    keyCache.set(secret, cached);
  }
  return cached;
}

/** Additional authenticated data binding a ciphertext to its owner and credential. */
function aad(userId: string, credentialId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`sam-credential:${userId}:${credentialId}`);
}

/**
 * Encrypts `plaintext` for credential `credentialId` of `userId`.
 * @throws EncryptionUnavailableError when ENCRYPTION_KEY is unusable.
 */
export async function sealSecret(secret: string | undefined, userId: string, credentialId: string, plaintext: string): Promise<SealedSecret> {
  const key = await encryptionKey(secret);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new TextEncoder().encode(plaintext);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad(userId, credentialId) }, key, data);
  return { iv: toBase64(iv), ciphertext: toBase64(new Uint8Array(sealed)) };
}

/**
 * Decrypts a sealed credential. The result must stay in memory for the one call it is for.
 * @throws EncryptionUnavailableError when the key is unusable or the ciphertext does not open
 *   (wrong key, tampered bytes, or another user's or credential's ciphertext).
 */
export async function openSecret(secret: string | undefined, userId: string, credentialId: string, sealed: SealedSecret): Promise<string> {
  const key = await encryptionKey(secret);
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64(sealed.iv), additionalData: aad(userId, credentialId) },
      key,
      fromBase64(sealed.ciphertext),
    );
    return new TextDecoder().decode(plain);
  } catch {
    throw new EncryptionUnavailableError("a stored credential could not be decrypted (was ENCRYPTION_KEY changed?); add it again");
  }
}

/** The last four characters of a key, for lists ("…abcd"); the whole key is never shown. */
export function lastFour(key: string): string {
  return key.slice(-4);
}
