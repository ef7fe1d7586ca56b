/**
 * A user's profile. (Tokens live in D1 alone — their keyed hashes and metadata, src/api/people/
 * tokens.ts; the actor's old `tokens` table is kept, unused, as migrations are additive.)
 */

/** A user's profile. `createdAt` is ISO 8601. */
export interface UserProfile {
  id: string;
  name: string;
  createdAt: string;
}

/** The `profile` table of a user's actor. */
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
}
