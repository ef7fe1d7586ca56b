/**
 * A project's repository credential as a GitHub App installation (issue 16: "a GitHub App
 * installation when deployed"). SAM's GitHub App is configured on the Worker (`GITHUB_APP_ID`,
 * secret `GITHUB_APP_PRIVATE_KEY`, its PEM key as GitHub gives it (PKCS#1) or PKCS#8, line
 * breaks real or `\n`-escaped); a project stores only the installation's id, which must be the
 * App's installation on the project's repository (`GET /repos/{owner}/{repo}/installation`).
 * For a clone, a push or a pull request SAM mints an access token as GitHub documents
 * ("Authenticating as a GitHub App installation"): an RS256 JWT of the App
 * (`universal-github-app-jwt`: issued 30 s in the past, valid 10 minutes), then
 * `POST {GITHUB_API_BASE_URL}/app/installations/{id}/access_tokens` narrowed to the one
 * repository and to contents and pull requests, a token that lives an hour. Tokens are kept in
 * memory and reused until five minutes before they expire; they are never stored, logged or shown.
 */
import { createPrivateKey } from "node:crypto";
import githubAppJwt from "universal-github-app-jwt";

/** GitHub's REST API version SAM speaks (the `X-GitHub-Api-Version` header). */
const GITHUB_API_VERSION = "2022-11-28";
/** A cached installation token is minted again this long before it expires, in ms. */
export const INSTALLATION_TOKEN_MARGIN_MS = 5 * 60_000;

/** SAM's GitHub App: its id, its private key (PEM) and where GitHub's REST API lives. */
export interface GitHubAppConfig {
  appId: string;
  privateKey: string;
  apiBaseUrl: string;
}

/** A failure to mint an installation token; `message` says why in words (GitHub's answer included, never a key or token). */
export class GitHubAppError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitHubAppError";
  }
}

/** The App configured on the Worker, or null when `GITHUB_APP_ID` or `GITHUB_APP_PRIVATE_KEY` is missing. */
export function githubAppConfig(env: { GITHUB_APP_ID?: string; GITHUB_APP_PRIVATE_KEY?: string; GITHUB_API_BASE_URL?: string }): GitHubAppConfig | null {
  if (!env.GITHUB_APP_ID || !env.GITHUB_APP_PRIVATE_KEY) return null;
  return { appId: env.GITHUB_APP_ID, privateKey: env.GITHUB_APP_PRIVATE_KEY, apiBaseUrl: (env.GITHUB_API_BASE_URL ?? "https://api.github.com").replace(/\/+$/, "") };
}

/** A repository on GitHub: its owner and name. */
export interface GitHubRepo {
  owner: string;
  repo: string;
}

/**
 * `privateKey` as PKCS#8 PEM, which WebCrypto (and so the JWT library in the Worker) takes:
 * escaped line breaks restored, a PKCS#1 key (`BEGIN RSA PRIVATE KEY`, as GitHub hands it out)
 * converted with Node's crypto. @throws GitHubAppError when it is not a private key.
 */
export function pkcs8PrivateKey(privateKey: string): string {
  const pem = privateKey.replace(/\\n/g, "\n");
  if (!pem.includes("BEGIN RSA PRIVATE KEY")) return pem;
  try {
    return createPrivateKey(pem).export({ type: "pkcs8", format: "pem" }).toString();
  } catch (error) {
    throw new GitHubAppError(`the GitHub App's private key (GITHUB_APP_PRIVATE_KEY) could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The App's JWT for calls as the App itself, signed now. @throws GitHubAppError when the key cannot sign. */
async function appJwt(config: GitHubAppConfig): Promise<string> {
  try {
    return (await githubAppJwt({ id: config.appId, privateKey: pkcs8PrivateKey(config.privateKey) })).token;
  } catch (error) {
    if (error instanceof GitHubAppError) throw error;
    throw new GitHubAppError(`the GitHub App's private key (GITHUB_APP_PRIVATE_KEY) could not sign: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Calls GitHub's REST API as the App (its JWT); returns the status and the parsed JSON body (`{}` when not JSON). @throws GitHubAppError when GitHub cannot be reached. */
async function callAsApp(config: GitHubAppConfig, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const jwt = await appJwt(config);
  let response: Response;
  try {
    response = await fetch(`${config.apiBaseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${jwt}`, accept: "application/vnd.github+json", "x-github-api-version": GITHUB_API_VERSION, "user-agent": "sam", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new GitHubAppError(`GitHub could not be reached (${method} ${path}): ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = await response.text();
  try {
    const parsed: unknown = JSON.parse(text);
    return { status: response.status, body: typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {} };
  } catch {
    return { status: response.status, body: {} };
  }
}

/** GitHub's `message` of an answer, with a leading space, or "". */
const said = (body: Record<string, unknown>) => (typeof body.message === "string" ? ` ${body.message}` : "");

/**
 * Checks that `installationId` is the App's installation on `repository`
 * (`GET /repos/{owner}/{repo}/installation`). @throws GitHubAppError when the App is not installed
 * there, is installed under another id, or GitHub refuses the App.
 */
export async function checkRepositoryInstallation(config: GitHubAppConfig, installationId: number, repository: GitHubRepo): Promise<void> {
  const name = `${repository.owner}/${repository.repo}`;
  const answer = await callAsApp(config, "GET", `/repos/${encodeURIComponent(repository.owner)}/${encodeURIComponent(repository.repo)}/installation`);
  if (answer.status === 404) throw new GitHubAppError(`SAM's GitHub App (App ${config.appId}) is not installed on ${name}`);
  if (answer.status !== 200) throw new GitHubAppError(`GitHub answered ${answer.status}${said(answer.body)} when asked for App ${config.appId}'s installation on ${name}`);
  if (answer.body.id !== installationId) throw new GitHubAppError(`SAM's GitHub App is installed on ${name} as installation ${String(answer.body.id)}, not ${installationId}`);
}

/** An installation's access token and when it expires (epoch ms). */
export interface InstallationToken {
  token: string;
  expiresAtMs: number;
}

/**
 * Mints an access token of installation `installationId` for `config`'s App, narrowed to
 * `repository` and to contents and pull requests (read and write).
 * @throws GitHubAppError when the key cannot sign or GitHub refuses (an unknown installation: 404;
 *   a wrong key or App id: 401; a repository the installation does not grant: 422), with GitHub's message.
 */
export async function mintInstallationToken(config: GitHubAppConfig, installationId: number, repository: GitHubRepo, nowMs = Date.now()): Promise<InstallationToken> {
  const answer = await callAsApp(config, "POST", `/app/installations/${installationId}/access_tokens`, {
    repositories: [repository.repo],
    permissions: { contents: "write", pull_requests: "write" },
  });
  const token = answer.body.token;
  if (answer.status !== 201 || typeof token !== "string") {
    throw new GitHubAppError(`GitHub answered ${answer.status}${said(answer.body)} when minting a token of installation ${installationId} for App ${config.appId}`);
  }
  const expiresAtMs = typeof answer.body.expires_at === "string" ? Date.parse(answer.body.expires_at) : NaN;
  return { token, expiresAtMs: Number.isFinite(expiresAtMs) ? expiresAtMs : nowMs + 3_600_000 };
}

/** Installation tokens kept in memory, by App, installation and repository. */
const cache = new Map<string, InstallationToken>();

/**
 * The installation's token: the one kept in memory while it has more than
 * INSTALLATION_TOKEN_MARGIN_MS left at `nowMs` (epoch ms), else a new one (kept; its JWT is
 * stamped with the real clock, as GitHub checks it). @throws GitHubAppError as `mintInstallationToken`.
 */
export async function installationToken(config: GitHubAppConfig, installationId: number, repository: GitHubRepo, nowMs = Date.now()): Promise<string> {
  const key = `${config.apiBaseUrl} ${config.appId} ${installationId} ${repository.owner}/${repository.repo}`;
  const kept = cache.get(key);
  if (kept && kept.expiresAtMs - INSTALLATION_TOKEN_MARGIN_MS > nowMs) return kept.token;
  const minted = await mintInstallationToken(config, installationId, repository);
  cache.set(key, minted);
  return minted.token;
}

/**
 * The minting function `repositoryAccess` takes, for the App configured on `env`: an
 * installation's token (`installationToken`), or a GitHubAppError when no App is configured.
 */
export function installationTokens(env: Parameters<typeof githubAppConfig>[0]): (installationId: number, repository: GitHubRepo) => Promise<string> {
  const config = githubAppConfig(env);
  return async (installationId, repository) => {
    if (!config) throw new GitHubAppError("the repository's credential is a GitHub App installation, but this SAM has no GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)");
    return installationToken(config, installationId, repository);
  };
}
