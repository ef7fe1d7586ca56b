/**
 * A project's repository credential as a GitHub App installation (issue 16: "a GitHub App
 * installation when deployed"). SAM's GitHub App is configured on the Worker (`GITHUB_APP_ID`,
 * secret `GITHUB_APP_PRIVATE_KEY`, its PEM key with real or `\n`-escaped line breaks); a project
 * stores only the installation's id. For a clone, a push or a pull request SAM mints the
 * installation's access token as GitHub documents ("Authenticating as a GitHub App
 * installation"): an RS256 JWT of the App (`universal-github-app-jwt`: issued 30 s in the past,
 * valid 10 minutes), then `POST {GITHUB_API_BASE_URL}/app/installations/{id}/access_tokens`,
 * whose token lives an hour. Tokens are kept in memory and reused until five minutes before they
 * expire; they are never stored, logged or shown.
 */
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

/** An installation's access token and when it expires (epoch ms). */
export interface InstallationToken {
  token: string;
  expiresAtMs: number;
}

/**
 * Mints an access token of installation `installationId` (a positive integer) for `config`'s App.
 * @throws GitHubAppError when the key cannot sign (not a PEM RSA key) or GitHub refuses (an unknown
 *   installation: 404; a wrong key or App id: 401), with GitHub's message.
 */
export async function mintInstallationToken(config: GitHubAppConfig, installationId: number, nowMs = Date.now()): Promise<InstallationToken> {
  let jwt: string;
  try {
    jwt = (await githubAppJwt({ id: config.appId, privateKey: config.privateKey, now: Math.floor(nowMs / 1000) })).token;
  } catch (error) {
    throw new GitHubAppError(`the GitHub App's private key (GITHUB_APP_PRIVATE_KEY) could not sign: ${error instanceof Error ? error.message : String(error)}`);
  }
  let response: Response;
  try {
    response = await fetch(`${config.apiBaseUrl}/app/installations/${installationId}/access_tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, accept: "application/vnd.github+json", "x-github-api-version": GITHUB_API_VERSION, "user-agent": "sam" },
    });
  } catch (error) {
    throw new GitHubAppError(`GitHub could not be reached to mint a token of installation ${installationId}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = await response.text();
  let body: { token?: unknown; expires_at?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON: the status says enough.
  }
  if (response.status !== 201 || typeof body.token !== "string") {
    const said = typeof body.message === "string" ? ` ${body.message}` : "";
    throw new GitHubAppError(`GitHub answered ${response.status}${said} when minting a token of installation ${installationId} for App ${config.appId}`);
  }
  const expiresAtMs = typeof body.expires_at === "string" ? Date.parse(body.expires_at) : NaN;
  return { token: body.token, expiresAtMs: Number.isFinite(expiresAtMs) ? expiresAtMs : nowMs + 3_600_000 };
}

/** Installation tokens kept in memory, by App and installation. */
const cache = new Map<string, InstallationToken>();

/**
 * The installation's token: the one kept in memory while it has more than
 * INSTALLATION_TOKEN_MARGIN_MS left at `nowMs` (epoch ms), else a new one (kept; its JWT is
 * stamped with the real clock, as GitHub checks it). @throws GitHubAppError as `mintInstallationToken`.
 */
export async function installationToken(config: GitHubAppConfig, installationId: number, nowMs = Date.now()): Promise<string> {
  const key = `${config.apiBaseUrl} ${config.appId} ${installationId}`;
  const kept = cache.get(key);
  if (kept && kept.expiresAtMs - INSTALLATION_TOKEN_MARGIN_MS > nowMs) return kept.token;
  const minted = await mintInstallationToken(config, installationId);
  cache.set(key, minted);
  return minted.token;
}

/**
 * The minting function `repositoryAccess` takes, for the App configured on `env`: an
 * installation's token (`installationToken`), or a GitHubAppError when no App is configured.
 */
export function installationTokens(env: Parameters<typeof githubAppConfig>[0]): (installationId: number) => Promise<string> {
  const config = githubAppConfig(env);
  return async (installationId) => {
    if (!config) throw new GitHubAppError("the repository's credential is a GitHub App installation, but this SAM has no GitHub App (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY)");
    return installationToken(config, installationId);
  };
}
