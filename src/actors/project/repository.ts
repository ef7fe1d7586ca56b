/**
 * The project's repository (issue 16): its URL and default branch, and its GitHub credential (a
 * fine-grained token) sealed with AES-GCM under `ENCRYPTION_KEY` like provider credentials
 * (src/models/credentials.ts; the additional data binds it to this project). One row, table
 * `repository`. The token is opened only for a task's clone or push (`repositoryAccess`) and is
 * never shown: views carry its last four characters.
 */
import { lastFour, openSecret, sealSecret, type SealedSecret } from "../../models/credentials.ts";
import type { RepositorySetting, RepositoryView } from "../../shared/repository.ts";

/** The credential id the sealed token is bound to (with the project id as its owner). */
const CREDENTIAL_ID = "repository-github-token";

type Row = { url: string; default_branch: string; token_json: string | null; token_last4: string | null };

/** Creates the `repository` table (additive). */
export function createRepositoryTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS repository (
    id INTEGER PRIMARY KEY CHECK (id = 1), url TEXT NOT NULL, default_branch TEXT NOT NULL,
    token_json TEXT, token_last4 TEXT)`);
}

function row(sql: SqlStorage): Row | null {
  return sql.exec<Row>(`SELECT url, default_branch, token_json, token_last4 FROM repository WHERE id = 1`).toArray()[0] ?? null;
}

/** The repository as `GET /api/projects/:projectId` shows it, or null when the project names none. */
export function readRepository(sql: SqlStorage): RepositoryView | null {
  const r = row(sql);
  if (!r) return null;
  return { url: r.url, defaultBranch: r.default_branch, credential: r.token_last4 ? { kind: "github-token", last4: r.token_last4 } : null };
}

/**
 * Sets (a parsed `repositorySettingSchema`) or clears (null) the repository. A new URL drops the
 * credential (it was given for the old repository); the same URL keeps it.
 */
export function writeRepository(sql: SqlStorage, setting: RepositorySetting | null): void {
  if (setting === null) {
    sql.exec(`DELETE FROM repository`);
    return;
  }
  const current = row(sql);
  const keep = current?.url === setting.url;
  sql.exec(
    `INSERT INTO repository (id, url, default_branch, token_json, token_last4) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET url = excluded.url, default_branch = excluded.default_branch,
       token_json = excluded.token_json, token_last4 = excluded.token_last4`,
    setting.url,
    setting.defaultBranch,
    keep ? (current?.token_json ?? null) : null,
    keep ? (current?.token_last4 ?? null) : null,
  );
}

/**
 * Seals and stores `token` as the repository's credential. Returns false when the project names
 * no repository. @throws EncryptionUnavailableError when ENCRYPTION_KEY is unusable.
 */
export async function writeRepositoryToken(sql: SqlStorage, encryptionKey: string | undefined, projectId: string, token: string): Promise<boolean> {
  if (!row(sql)) return false;
  const sealed = await sealSecret(encryptionKey, projectId, CREDENTIAL_ID, token);
  sql.exec(`UPDATE repository SET token_json = ?, token_last4 = ? WHERE id = 1`, JSON.stringify(sealed), lastFour(token));
  return true;
}

/** Removes the credential; returns whether there was one. */
export function deleteRepositoryToken(sql: SqlStorage): boolean {
  const had = row(sql)?.token_json != null;
  sql.exec(`UPDATE repository SET token_json = NULL, token_last4 = NULL WHERE id = 1`);
  return had;
}

/** What a task needs to clone and push: the repository and the opened token (null: none stored). */
export interface RepositoryAccess {
  url: string;
  defaultBranch: string;
  token: string | null;
}

/**
 * The repository with its token opened, for one task's clone or push (in memory only), or null
 * when the project names none. @throws EncryptionUnavailableError when the token does not open.
 */
export async function repositoryAccess(sql: SqlStorage, encryptionKey: string | undefined, projectId: string): Promise<RepositoryAccess | null> {
  const r = row(sql);
  if (!r) return null;
  const token = r.token_json ? await openSecret(encryptionKey, projectId, CREDENTIAL_ID, JSON.parse(r.token_json) as SealedSecret) : null;
  return { url: r.url, defaultBranch: r.default_branch, token };
}
