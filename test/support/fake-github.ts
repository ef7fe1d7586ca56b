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
 *   GET  /user (Authorization: Bearer) → `{id, login, name, avatar_url}`.
 * Control: PUT /__control/identity `{id, login, name}` sets who the authorize page signs in.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A GitHub user the fake signs in as. */
export interface FakeGitHubUser {
  id: number;
  login: string;
  name: string | null;
}

/** The running fake: its base URL (for both GITHUB_OAUTH_BASE_URL and GITHUB_API_BASE_URL) and how to stop it. */
export interface FakeGitHub {
  url: string;
  clientId: string;
  clientSecret: string;
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
export async function startFakeGitHub(clientId = "fake-client-id", clientSecret = "fake-client-secret"): Promise<FakeGitHub> {
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
    json(res, 404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, clientId, clientSecret, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
