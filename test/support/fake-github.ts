/**
 * A local fake of GitHub's OAuth web flow and `/user` API, on loopback, for sign-in tests (GitHub
 * cannot be reached here). It honours the real contract SAM depends on:
 *   GET  /login/oauth/authorize?client_id&redirect_uri&state&code_challenge&code_challenge_method=S256
 *        → an HTML page ("Authorize SAM") whose form signs in as the login typed (default: the
 *          next identity set with /__control/identity) and redirects to `redirect_uri?code&state`;
 *   POST /login/oauth/access_token (form: grant_type=authorization_code, code, redirect_uri,
 *        code_verifier; client credentials by HTTP Basic) → `{access_token, token_type, scope}`
 *        when the verifier's S256 matches the challenge and the client is right, else GitHub's
 *        `{error: "bad_verification_code"}` (with status 200, as GitHub does);
 *   GET  /user (Authorization: Bearer) → `{id, login, name, avatar_url}`;
 *   POST /repos/:owner/:repo/pulls `{title, head, base, body}` (with `options.pulls`: Authorization
 *        `Bearer <token>` or `token <token>` must be the token given, `Accept:
 *        application/vnd.github+json`) → 201 `{number, html_url, state, title, body, head: {ref},
 *        base: {ref}}`; 401 `{message: "Bad credentials"}`; 422 `{message: "Validation Failed",
 *        errors}` when `head` is not a branch of the repository (checked in the real git
 *        repository through `options.pulls.branchExists`) or a pull request for it is open;
 *   GET  /repos/:owner/:repo/pulls?state=open&head=owner:branch → the open pull requests (filtered);
 *   With `options.app`, as the App (Authorization `Bearer <JWT>`, the App's RS256 JWT checked as
 *   GitHub does: signature by the App's key, `iss` the App id, `iat` not in the future, `exp` in the
 *   future and at most 10 minutes after `iat`; a bad one is 401 `{message}`):
 *   GET  /repos/:owner/:repo/installation → `{id}` of the installation granting it, else 404;
 *   POST /app/installations/:id/access_tokens `{repositories?, permissions?}` → 201 `{token,
 *        expires_at}` (the token configured for the installation, an hour); 404 for an unknown
 *        installation; 422 when `repositories` names one the installation does not grant.
 * Every request to /repos is recorded in `pullRequests` (method, path, headers, body), and every
 * token minted in `installationTokens`.
 * Control: PUT /__control/identity `{id, login, name}` sets who the authorize page signs in.
 */
import { createHash, randomBytes, verify } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A GitHub user the fake signs in as. */
export interface FakeGitHubUser {
  id: number;
  login: string;
  name: string | null;
}

/** One request to the fake's `/repos/...` API, as received. */
export interface RecordedGitHubRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** What the pull-request API checks: the token it accepts and whether a branch exists in the real repository. */
export interface FakePullsOptions {
  token: string;
  branchExists(owner: string, repo: string, branch: string): boolean;
  /** Awaited before a pull request is created (after the request is recorded): a test holds the answer to crash SAM meanwhile. */
  beforeCreate?(head: string): Promise<void>;
}

/** A GitHub App the fake knows: its id, its public key (PEM), and per installation id the token it mints and the repositories (`owner/repo`) it grants. */
export interface FakeAppOptions {
  appId: string;
  publicKeyPem: string;
  installations: Record<number, { token: string; repositories: string[] }>;
}

/** A token request the fake received: the installation and the body's `repositories` and `permissions`. */
export interface MintRequest {
  installationId: number;
  repositories: unknown;
  permissions: unknown;
}

/** The running fake: its base URL (for both GITHUB_OAUTH_BASE_URL and GITHUB_API_BASE_URL) and how to stop it. */
export interface FakeGitHub {
  url: string;
  clientId: string;
  clientSecret: string;
  /** Requests to `/repos/...`, oldest first. */
  pullRequests: RecordedGitHubRequest[];
  /** Installation tokens minted, oldest first: for which installation, narrowed how. */
  installationTokens: MintRequest[];
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => resolve(text));
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Starts the fake on a free loopback port with the given OAuth app credentials. */
export async function startFakeGitHub(clientId = "fake-client-id", clientSecret = "fake-client-secret", options: { pulls?: FakePullsOptions; app?: FakeAppOptions } = {}): Promise<FakeGitHub> {
  const recorded: RecordedGitHubRequest[] = [];
  const minted: MintRequest[] = [];
  const pulls: { owner: string; repo: string; number: number; title: string; body: string; head: string; base: string; state: "open" }[] = [];
  let identity: FakeGitHubUser = { id: 4242, login: "octo", name: "Octo Cat" };
  const codes = new Map<string, { challenge: string; redirectUri: string; user: FakeGitHubUser }>();
  const tokens = new Map<string, FakeGitHubUser>();

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "PUT" && url.pathname === "/__control/identity") {
      identity = JSON.parse(await body(req)) as FakeGitHubUser;
      return json(res, 200, identity);
    }
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      const p = url.searchParams;
      if (p.get("client_id") !== clientId || p.get("code_challenge_method") !== "S256" || !p.get("code_challenge") || !p.get("state") || !p.get("redirect_uri")) {
        return json(res, 400, { error: "bad authorization request" });
      }
      res.writeHead(200, { "content-type": "text/html" });
      const hidden = ["redirect_uri", "state", "code_challenge"].map((k) => `<input type="hidden" name="${k}" value="${escape(p.get(k) ?? "")}">`).join("");
      return res.end(
        `<!doctype html><title>Authorize SAM</title><h1>Authorize SAM</h1><form method="get" action="/login/oauth/authorize/approve">${hidden}` +
          `<label>GitHub login <input name="login" value="${escape(identity.login)}"></label><button type="submit">Authorize</button></form>`,
      );
    }
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize/approve") {
      const p = url.searchParams;
      const login = p.get("login") || identity.login;
      const user = login === identity.login ? identity : { id: 10_000 + login.length, login, name: login };
      const code = randomBytes(16).toString("hex");
      codes.set(code, { challenge: p.get("code_challenge") ?? "", redirectUri: p.get("redirect_uri") ?? "", user });
      const target = new URL(p.get("redirect_uri") ?? "");
      target.searchParams.set("code", code);
      target.searchParams.set("state", p.get("state") ?? "");
      res.writeHead(302, { location: target.toString() });
      return res.end();
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      const form = new URLSearchParams(await body(req));
      const basic = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      const entry = codes.get(form.get("code") ?? "");
      const verifier = form.get("code_verifier") ?? "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (basic !== `${clientId}:${clientSecret}`) return json(res, 200, { error: "incorrect_client_credentials" });
      if (!entry || entry.challenge !== challenge || entry.redirectUri !== form.get("redirect_uri")) return json(res, 200, { error: "bad_verification_code" });
      codes.delete(form.get("code") ?? "");
      const accessToken = `gho_${randomBytes(16).toString("hex")}`;
      tokens.set(accessToken, entry.user);
      return json(res, 200, { access_token: accessToken, token_type: "bearer", scope: "read:user" });
    }
    if (req.method === "GET" && url.pathname === "/user") {
      const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!user) return json(res, 401, { message: "Bad credentials" });
      return json(res, 200, { id: user.id, login: user.login, name: user.name, avatar_url: `https://avatars.example/${user.login}.png` });
    }
    const installationRoute = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
    const repoInstallationRoute = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(url.pathname);
    if ((installationRoute && req.method === "POST") || (repoInstallationRoute && req.method === "GET")) {
      const app = options.app;
      if (!app) return json(res, 404, { message: "Not Found" });
      const refusal = appJwtRefusal(app, (req.headers.authorization ?? "").replace(/^Bearer /, ""), Math.floor(Date.now() / 1000));
      if (refusal) return json(res, 401, { message: refusal, documentation_url: "https://docs.github.com/rest" });
      if (repoInstallationRoute) {
        const name = `${decodeURIComponent(repoInstallationRoute[1])}/${decodeURIComponent(repoInstallationRoute[2])}`;
        const found = Object.entries(app.installations).find(([, installation]) => installation.repositories.includes(name));
        return found ? json(res, 200, { id: Number(found[0]), app_id: Number(app.appId) }) : json(res, 404, { message: "Not Found" });
      }
      const installationId = Number(installationRoute?.[1]);
      const installation = app.installations[installationId];
      if (!installation) return json(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app" });
      const text = await body(req);
      const input = (text ? JSON.parse(text) : {}) as { repositories?: unknown; permissions?: unknown };
      const granted = installation.repositories.map((r) => r.split("/")[1]);
      if (Array.isArray(input.repositories) && input.repositories.some((r) => !granted.includes(String(r)))) {
        return json(res, 422, { message: "There is at least one repository that does not exist or is not accessible to the parent installation." });
      }
      minted.push({ installationId, repositories: input.repositories, permissions: input.permissions });
      return json(res, 201, { token: installation.token, expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"), permissions: input.permissions ?? {}, repository_selection: input.repositories ? "selected" : "all" });
    }
    const repoRoute = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/.exec(url.pathname);
    if (repoRoute && options.pulls) {
      const [owner, repo] = [decodeURIComponent(repoRoute[1]), decodeURIComponent(repoRoute[2])];
      const text = req.method === "POST" ? await body(req) : "";
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        return json(res, 400, { message: "Problems parsing JSON" });
      }
      recorded.push({ method: req.method ?? "GET", path: url.pathname, query: url.search, headers: req.headers, body: parsed });
      const given = (req.headers.authorization ?? "").replace(/^(Bearer|token) /i, "");
      if (given !== options.pulls.token) return json(res, 401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      const view = (p: (typeof pulls)[number]) => ({
        number: p.number,
        html_url: `${`http://127.0.0.1:${(server.address() as AddressInfo).port}`}/${owner}/${repo}/pull/${p.number}`,
        state: p.state,
        title: p.title,
        body: p.body,
        head: { ref: p.head, label: `${owner}:${p.head}` },
        base: { ref: p.base },
      });
      if (req.method === "GET") {
        const head = url.searchParams.get("head");
        const open = pulls.filter((p) => p.owner === owner && p.repo === repo && (!head || `${owner}:${p.head}` === head));
        return json(res, 200, open.map(view));
      }
      if (req.method === "POST") {
        const input = parsed as { title?: unknown; head?: unknown; base?: unknown; body?: unknown } | null;
        if (typeof input?.title !== "string" || typeof input.head !== "string" || typeof input.base !== "string") {
          return json(res, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "missing_field" }] });
        }
        if (!options.pulls.branchExists(owner, repo, input.head)) {
          return json(res, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] });
        }
        await options.pulls.beforeCreate?.(input.head);
        if (pulls.some((p) => p.owner === owner && p.repo === repo && p.head === input.head)) {
          return json(res, 422, { message: "Validation Failed", errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${owner}:${input.head}.` }] });
        }
        const pr = { owner, repo, number: pulls.length + 1, title: input.title, body: typeof input.body === "string" ? input.body : "", head: input.head, base: input.base, state: "open" as const };
        pulls.push(pr);
        return json(res, 201, view(pr));
      }
    }
    json(res, 404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, clientId, clientSecret, pullRequests: recorded, installationTokens: minted, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Why GitHub would refuse `jwt` as `app`'s at `nowSeconds`, or null when it would take it (see the module's comment). */
function appJwtRefusal(app: FakeAppOptions, jwt: string, nowSeconds: number): string | null {
  const [header, payload, signature] = jwt.split(".");
  if (!header || !payload || !signature) return "A JSON web token could not be decoded";
  let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
  let alg: unknown;
  try {
    alg = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as typeof claims;
  } catch {
    return "A JSON web token could not be decoded";
  }
  if (alg !== "RS256") return "A JSON web token could not be decoded";
  if (!verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), app.publicKeyPem, Buffer.from(signature, "base64url"))) return "A JSON web token could not be decoded";
  if (String(claims.iss) !== app.appId) return "Integration not found";
  if (typeof claims.iat !== "number" || claims.iat > nowSeconds + 60) return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
  if (typeof claims.exp !== "number" || claims.exp <= nowSeconds || claims.exp - claims.iat > 600) return "'Expiration time' claim ('exp') is too far in the future";
  return null;
}
