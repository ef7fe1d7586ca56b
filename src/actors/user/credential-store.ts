/**
 * A user's provider credentials (API keys), stored encrypted: the actor only ever holds the
 * AES-GCM ciphertext (sealed and opened by src/models/credentials.ts, in the Worker), and shows
 * the user the last four characters.
 */
import type { CredentialProvider } from "../../models/catalog.ts";
import type { SealedCredential } from "../../models/user-actor.ts";

/** What the user sees of a stored credential: never the key, only its last four characters. Times are ISO 8601. */
export interface CredentialInfo {
  id: string;
  provider: CredentialProvider;
  label: string;
  last4: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A credential to store, already encrypted by the caller (the plain key never reaches the actor). */
export interface NewCredential extends CredentialInfo {
  iv: string;
  ciphertext: string;
}

type CredentialRow = {
  id: string;
  provider: CredentialProvider;
  label: string;
  last4: string;
  iv: string;
  ciphertext: string;
  created_at: string;
  last_used_at: string | null;
};

/** The `credentials` table of a user's actor. */
export class CredentialStore {
  private readonly sql: SqlStorage;

  /** `sql`: the actor's storage. */
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Stores an encrypted credential (validated and sealed by the caller); returns what the user sees of it. */
  add(credential: NewCredential): CredentialInfo {
    this.sql.exec(
      `INSERT INTO credentials (id, provider, label, last4, iv, ciphertext, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
      credential.id,
      credential.provider,
      credential.label,
      credential.last4,
      credential.iv,
      credential.ciphertext,
      credential.createdAt,
    );
    return { id: credential.id, provider: credential.provider, label: credential.label, last4: credential.last4, createdAt: credential.createdAt, lastUsedAt: null };
  }

  /** The credentials, newest first, without any key material. */
  list(): CredentialInfo[] {
    return this.sql
      .exec<CredentialRow>(`SELECT * FROM credentials ORDER BY created_at DESC, id DESC`)
      .toArray()
      .map((r) => ({ id: r.id, provider: r.provider, label: r.label, last4: r.last4, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
  }

  /** Deletes credential `id`; returns whether it existed. */
  delete(id: string): boolean {
    return this.sql.exec(`DELETE FROM credentials WHERE id = ?`, id).rowsWritten > 0;
  }

  /** The providers the user holds at least one key for. */
  providers(): CredentialProvider[] {
    return this.sql
      .exec<{ provider: CredentialProvider }>(`SELECT DISTINCT provider FROM credentials`)
      .toArray()
      .map((r) => r.provider);
  }

  /** The sealed key of the newest credential for `provider` (the one calls use), or null when there is none. */
  latest(provider: CredentialProvider): SealedCredential | null {
    const row = this.sql.exec<CredentialRow>(`SELECT * FROM credentials WHERE provider = ? ORDER BY created_at DESC, id DESC LIMIT 1`, provider).toArray()[0];
    return row ? { id: row.id, iv: row.iv, ciphertext: row.ciphertext } : null;
  }

  /** Records that credential `id` was used by a call that started at `at` (ISO 8601). */
  markUsed(id: string, at: string): void {
    this.sql.exec(`UPDATE credentials SET last_used_at = ? WHERE id = ?`, at, id);
  }
}
