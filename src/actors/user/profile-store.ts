/** A user's profile and the metadata of their access tokens (never the tokens: D1 holds only their SHA-256 hashes). */

/** A user's profile. `createdAt` is ISO 8601. */
export interface UserProfile {
  id: string;
  name: string;
  createdAt: string;
}

/** What the user sees of one of their tokens. `createdAt` is ISO 8601. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
}

/** The `profile` and `tokens` tables of a user's actor. */
export class ProfileStore {
  private readonly sql: SqlStorage;

  /** `sql`: the actor's storage. */
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** Stores `profile` unless one is stored already; returns the stored profile. */
  ensure(profile: UserProfile): UserProfile {
    this.sql.exec(`INSERT OR IGNORE INTO profile (id, name, created_at) VALUES (?, ?, ?)`, profile.id, profile.name, profile.createdAt);
    const row = this.sql.exec<{ id: string; name: string; created_at: string }>(`SELECT * FROM profile LIMIT 1`).one();
    return { id: row.id, name: row.name, createdAt: row.created_at };
  }

  /** Records that a token was issued (metadata only; a token id already recorded is kept as it is). */
  recordToken(token: TokenInfo): void {
    this.sql.exec(`INSERT OR IGNORE INTO tokens (id, name, created_at) VALUES (?, ?, ?)`, token.id, token.name, token.createdAt);
  }

  /** The user's tokens, oldest first. */
  tokens(): TokenInfo[] {
    return this.sql
      .exec<{ id: string; name: string; created_at: string }>(`SELECT * FROM tokens ORDER BY created_at`)
      .toArray()
      .map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }
}
