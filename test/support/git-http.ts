/**
 * A local git HTTP server for tests: a Node http server that runs the real `git http-backend`
 * (CGI, git's "smart HTTP" protocol) over a temporary directory of bare repositories, on
 * loopback. Every request must carry the token, as GitHub takes it: `Authorization: Basic
 * base64(<any user>:<token>)` or `Authorization: Bearer <token>`; anything else gets 401, so a
 * test proves the credential was used and a wrong one is refused. Pushes are allowed.
 *
 * Repositories live at `<root>/<owner>/<name>.git` and are served at
 * `<url>/<owner>/<name>.git`. Every request's method, path and whether it was authorised are
 * recorded in `requests` (the header itself is not kept). `holdPush`, when set, is awaited with
 * the repository's path after a push's whole request arrived and before git takes it: a test
 * holds a push to crash SAM in the middle of it.
 */
import { spawn, spawnSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

/** One request the server saw. */
export interface GitHttpRequest {
  method: string;
  path: string;
  authorized: boolean;
}

/** The running server. */
export interface GitHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Directory holding the bare repositories. */
  root: string;
  /** The token requests must carry. */
  token: string;
  requests: GitHttpRequest[];
  /** Awaited (with the request's path) after a push's request arrived, before git takes it; null: pushes go through at once. */
  holdPush: ((path: string) => Promise<void>) | null;
  /**
   * Creates the bare repository `<owner>/<name>.git` with one commit on `branch` holding `files`
   * (path → content); returns its URL.
   */
  createRepo(owner: string, name: string, files: Record<string, string>, branch?: string): Promise<string>;
  /** Runs git in the bare repository `<owner>/<name>.git` (e.g. `["show", "sam/x:a.txt"]`) and returns stdout; throws on failure. */
  git(owner: string, name: string, args: string[]): string;
  close(): Promise<void>;
}

/** Environment for git commands run by the test helper itself: no user config, fixed identity. */
const GIT_ENV = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: "/nonexistent",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@example.invalid",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@example.invalid",
};

function runSync(args: string[], cwd?: string, input?: string): string {
  const result = spawnSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8", input });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

function tokenOf(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer (.+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic (.+)$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** Starts the server on a free loopback port; `token` is the credential it requires. */
export async function startGitHttpServer(token = "ghp_test_token_0123456789"): Promise<GitHttpServer> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-git-http-"));
  const requests: GitHttpRequest[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://git");
    const authorized = tokenOf(req.headers.authorization) === token;
    requests.push({ method: req.method ?? "GET", path: url.pathname, authorized });
    if (!authorized) {
      req.resume();
      res.writeHead(401, { "www-authenticate": 'Basic realm="git"', "content-type": "text/plain" });
      res.end("Bad credentials\n");
      return;
    }
    if (served.holdPush && req.method === "POST" && url.pathname.endsWith("/git-receive-pack")) {
      const hold = served.holdPush;
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => void hold(url.pathname).then(() => backend(req, res, url, Buffer.concat(chunks))));
      return;
    }
    backend(req, res, url);
  };

  /** Runs `git http-backend` for one request: its body from `body` when already read, else streamed from `req`. */
  const backend = (req: IncomingMessage, res: ServerResponse, url: URL, body?: Buffer): void => {
    const child = spawn("git", ["http-backend"], {
      env: {
        ...GIT_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.replace(/^\?/, ""),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        REMOTE_USER: "sam-test",
        REMOTE_ADDR: "127.0.0.1",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    if (body) child.stdin.end(body);
    else req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    child.stderr.resume();
    child.on("close", () => {
      if (!headersDone) res.writeHead(500).end("http-backend failed\n");
      else res.end();
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const repoDir = (owner: string, name: string) => path.join(root, owner, `${name}.git`);

  const served: GitHttpServer = {
    url,
    root,
    token,
    requests,
    holdPush: null,
    async createRepo(owner, name, files, branch = "main") {
      const bare = repoDir(owner, name);
      await fsp.mkdir(path.dirname(bare), { recursive: true });
      runSync(["init", "-q", "--bare", "--initial-branch", branch, bare]);
      runSync(["--git-dir", bare, "config", "http.receivepack", "true"]);
      const work = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-git-fixture-"));
      try {
        for (const [rel, content] of Object.entries(files)) {
          await fsp.mkdir(path.dirname(path.join(work, rel)), { recursive: true });
          await fsp.writeFile(path.join(work, rel), content);
        }
        runSync(["init", "-q", "--initial-branch", branch], work);
        runSync(["add", "-A"], work);
        runSync(["commit", "-q", "-m", "initial commit"], work);
        runSync(["push", "-q", bare, `HEAD:refs/heads/${branch}`], work);
      } finally {
        await fsp.rm(work, { recursive: true, force: true });
      }
      return `${url}/${owner}/${name}.git`;
    },
    git(owner, name, args) {
      return runSync(["--git-dir", repoDir(owner, name), ...args]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => void fsp.rm(root, { recursive: true, force: true }).then(() => resolve()));
        server.closeAllConnections();
      }),
  };
  return served;
}
