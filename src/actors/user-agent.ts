/**
 * UserAgent: one user (DESIGN.md §1). Owns the profile and the metadata of the user's personal
 * access tokens (never the tokens themselves; D1 holds only their SHA-256 hashes for lookup).
 * Budgets, credentials and usage counters arrive with the model-gate issue.
 */
import { Agent } from "agents";
import type { Env } from "../env.ts";

/** A user's profile. */
export interface UserProfile {
  id: string;
  name: string;
  createdAt: string;
}

/** What the user sees of one of their tokens. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
}

/** The user actor. Keyed by user id. */
export class UserAgent extends Agent<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS profile (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)`);
  }

  /** Stores the profile on first call; returns the stored profile. */
  async ensureProfile(profile: UserProfile): Promise<UserProfile> {
    this.ctx.storage.sql.exec(`INSERT OR IGNORE INTO profile (id, name, created_at) VALUES (?, ?, ?)`, profile.id, profile.name, profile.createdAt);
    const row = this.ctx.storage.sql.exec<{ id: string; name: string; created_at: string }>(`SELECT * FROM profile LIMIT 1`).one();
    return { id: row.id, name: row.name, createdAt: row.created_at };
  }

  /** Records that a token was issued (metadata only). */
  async recordToken(token: TokenInfo): Promise<void> {
    this.ctx.storage.sql.exec(`INSERT OR IGNORE INTO tokens (id, name, created_at) VALUES (?, ?, ?)`, token.id, token.name, token.createdAt);
  }

  /** The user's tokens, oldest first. */
  async listTokens(): Promise<TokenInfo[]> {
    return this.ctx.storage.sql
      .exec<{ id: string; name: string; created_at: string }>(`SELECT * FROM tokens ORDER BY created_at`)
      .toArray()
      .map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }
}
