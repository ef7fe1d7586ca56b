/**
 * The project's repository (issue 16): its URL and default branch, and its GitHub credential:
 * either a fine-grained token sealed with AES-GCM under `ENCRYPTION_KEY` like provider
 * credentials (src/models/credentials.ts; the additional data binds it to this project), or the
 * id of SAM's GitHub App installation (github-app.ts mints its tokens). One row, table
 * `repository`. The token is opened (or minted) only for a task's clone or push
 * (`repositoryAccess`) and is never shown: views carry its last four characters, or the installation id.
 */
import { lastFour, openSecret, sealSecret, type SealedSecret } from "../../models/credentials.ts";
import { githubRepoOf, type RepositorySetting, type RepositoryView } from "../../shared/repository.ts";
import { ensureColumns } from "../sql.ts";

/** The credential id the sealed token is bound to (with the project id as its owner). */
const CREDENTIAL_ID = "repository-github-token";

type Row = { url: string; default_branch: string; token_json: string | null; token_last4: string | null; app_installation_id: number | null };

/** Creates the `repository` table (additive: `app_installation_id` came later). */
export function createRepositoryTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS repository (
    id INTEGER PRIMARY KEY CHECK (id = 1), url TEXT NOT NULL, default_branch TEXT NOT NULL,
    token_json TEXT, token_last4 TEXT, app_installation_id INTEGER)`);
  ensureColumns(sql, "repository", { app_installation_id: "INTEGER" });
}

function row(sql: SqlStorage): Row | null {
  return sql.exec<Row>(`SELECT url, default_branch, token_json, token_last4, app_installation_id FROM repository WHERE id = 1`).toArray()[0] ?? null;
}

/** The repository as `GET /api/projects/:projectId` shows it, or null when the project names none. */
export function readRepository(sql: SqlStorage): RepositoryView | null {
  const r = row(sql);
  if (!r) return null;
  const credential = r.app_installation_id !== null ? ({ kind: "github-app", installationId: r.app_installation_id } as const) : r.token_last4 ? ({ kind: "github-token", last4: r.token_last4 } as const) : null;
  return { url: r.url, defaultBranch: r.default_branch, credential };
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
    `INSERT INTO repository (id, url, default_branch, token_json, token_last4, app_installation_id) VALUES (1, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET url = excluded.url, default_branch = excluded.default_branch,
       token_json = excluded.token_json, token_last4 = excluded.token_last4, app_installation_id = excluded.app_installation_id`,
    setting.url,
    setting.defaultBranch,
    keep ? (current?.token_json ?? null) : null,
    keep ? (current?.token_last4 ?? null) : null,
    keep ? (current?.app_installation_id ?? null) : null,
  );
}

/**
 * Seals and stores `token` as the repository's credential. Returns false when the project names
 * no repository. @throws EncryptionUnavailableError when ENCRYPTION_KEY is unusable.
 */
export async function writeRepositoryToken(sql: SqlStorage, encryptionKey: string | undefined, projectId: string, token: string): Promise<boolean> {
  if (!row(sql)) return false;
  const sealed = await sealSecret(encryptionKey, projectId, CREDENTIAL_ID, token);
  sql.exec(`UPDATE repository SET token_json = ?, token_last4 = ?, app_installation_id = NULL WHERE id = 1`, JSON.stringify(sealed), lastFour(token));
  return true;
}

/** Stores GitHub App installation `installationId` as the repository's credential (replacing a token). Returns false when the project names no repository. */
export function writeRepositoryInstallation(sql: SqlStorage, installationId: number): boolean {
  if (!row(sql)) return false;
  sql.exec(`UPDATE repository SET token_json = NULL, token_last4 = NULL, app_installation_id = ? WHERE id = 1`, installationId);
  return true;
}

/** A credential to store: a GitHub token, or the id of SAM's GitHub App installation (checked by the route). */
export type RepositoryCredentialInput = { token: string } | { installationId: number };

/**
 * Stores `credential`: a token sealed (`writeRepositoryToken`), or an installation's id
 * (`writeRepositoryInstallation`). Returns false when the project names no repository.
 * @throws EncryptionUnavailableError when ENCRYPTION_KEY is unusable (a token only).
 */
export async function writeRepositoryCredential(sql: SqlStorage, encryptionKey: string | undefined, projectId: string, credential: RepositoryCredentialInput): Promise<boolean> {
  return "token" in credential ? writeRepositoryToken(sql, encryptionKey, projectId, credential.token) : writeRepositoryInstallation(sql, credential.installationId);
}

/** Removes the credential (a token or an installation); returns whether there was one. */
export function deleteRepositoryToken(sql: SqlStorage): boolean {
  const current = row(sql);
  const had = current?.token_json != null || current?.app_installation_id != null;
  sql.exec(`UPDATE repository SET token_json = NULL, token_last4 = NULL, app_installation_id = NULL WHERE id = 1`);
  return had;
}

/** What a task needs to clone and push: the repository and the opened token (null: none stored). */
export interface RepositoryAccess {
  url: string;
  defaultBranch: string;
  token: string | null;
}

/**
 * The repository with its token opened, or an installation's token for this repository from
 * `installationToken` (github-app.ts), for one task's clone or push (in memory only); null when
 * the project names none.
 * @throws EncryptionUnavailableError when the token does not open; what `installationToken` throws.
 */
export async function repositoryAccess(
  sql: SqlStorage,
  encryptionKey: string | undefined,
  projectId: string,
  installationToken: (installationId: number, repository: { owner: string; repo: string }) => Promise<string>,
): Promise<RepositoryAccess | null> {
  const r = row(sql);
  if (!r) return null;
  const repository = githubRepoOf(r.url);
  if (r.app_installation_id !== null && repository) return { url: r.url, defaultBranch: r.default_branch, token: await installationToken(r.app_installation_id, repository) };
  const token = r.token_json ? await openSecret(encryptionKey, projectId, CREDENTIAL_ID, JSON.parse(r.token_json) as SealedSecret) : null;
  return { url: r.url, defaultBranch: r.default_branch, token };
}
