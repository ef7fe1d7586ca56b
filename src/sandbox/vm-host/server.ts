/**
 * The local VM host (issue 16): a stand-in for Hetzner Cloud on loopback, for `npm start` and
 * the tests. It speaks the subset of the Hetzner Cloud API that SAM's `HetznerProvider` uses
 * (https://docs.hetzner.cloud/), with its request and answer shapes:
 *
 *   POST   /v1/servers {name, server_type, image, location?, user_data, labels, start_after_create?}
 *          → 201 {server, action, next_actions: [], root_password: null}
 *   GET    /v1/servers/{id}                         → {server} | 404
 *   GET    /v1/servers?label_selector=k=v,k2=v2     → {servers, meta: {pagination}}
 *   DELETE /v1/servers/{id}                         → {action} | 404
 *   GET    /v1/server_types                         → {server_types: [{name, cores, memory, disk, prices}], meta}
 *
 * Errors are Hetzner's `{error: {code, message}}` (401 `unauthorized`, 404 `not_found`, 422
 * `invalid_input`). "Creating a server" runs its real user data with bash in a fresh temporary
 * directory (`SAM_VM_DIR`), so the real install → runner → callback path runs; the "VM" is the
 * runner process the script starts (VM mode, still under bubblewrap). Deleting it kills that
 * process and removes the directory. A Node program of its own: it imports nothing from SAM.
 *
 * In `dryRun` mode (the Workers-runtime tests, where SAM has no address a process could call)
 * the user data is kept instead of run, and one route that Hetzner does not have lets a test
 * play the VM: `GET /_local/servers/{id}/user_data` → the script as text (same Bearer token; 404
 * unless dry-run). Hetzner never returns user data; this route exists only on this stand-in.
 */
import { spawn } from "node:child_process";
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { promises as fsp, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";

/** The server types the local host offers: Hetzner's shared-vCPU line, with prices as Hetzner lists them (EUR, strings). */
export const LOCAL_SERVER_TYPES = [
  { id: 22, name: "cx22", description: "CX22", cores: 2, memory: 4, disk: 40, hourly: "0.0060000000" },
  { id: 23, name: "cx32", description: "CX32", cores: 4, memory: 8, disk: 80, hourly: "0.0113000000" },
  { id: 24, name: "cx42", description: "CX42", cores: 8, memory: 16, disk: 160, hourly: "0.0273000000" },
  { id: 25, name: "cx52", description: "CX52", cores: 16, memory: 32, disk: 320, hourly: "0.0540000000" },
] as const;

/** Options of {@link startVmHost}. */
export interface VmHostOptions {
  /** TCP port on 127.0.0.1; 0 picks one. */
  port: number;
  /** The API token callers must present (`HETZNER_API_TOKEN`). */
  token: string;
  /** Where each server's directory is made (default the OS temp dir). */
  dir?: string;
  /** Extra environment for the user data (e.g. `SAM_UNSAFE_NO_SANDBOX`). */
  env?: Record<string, string>;
  /** Don't run the user data (a server that never calls back; for tests of provisioning alone). */
  dryRun?: boolean;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
}

/** One server the host holds. */
export interface LocalServer {
  id: number;
  name: string;
  status: "initializing" | "running" | "off" | "deleting";
  serverType: string;
  labels: Record<string, string>;
  created: string;
  dir: string;
  /** The user data's exit code once it ran. */
  exitCode: number | null;
  /** The user data as created (kept in `dryRun` mode only, else null). */
  userData: string | null;
}

/** A started VM host. */
export interface RunningVmHost {
  /** `http://127.0.0.1:<port>`: the `HETZNER_API_BASE_URL`. */
  url: string;
  /** The servers that exist now. */
  servers(): LocalServer[];
  /** Every create it answered, deleted or not (for tests). */
  created(): number;
  /** Deletes every server and stops listening. */
  close(): Promise<void>;
}

const createSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/),
  server_type: z.string(),
  image: z.string(),
  location: z.string().optional(),
  user_data: z.string().max(32 * 1024),
  labels: z.record(z.string().regex(/^[A-Za-z0-9._/-]{1,63}$/), z.string().regex(/^[A-Za-z0-9._-]{0,63}$/)).default({}),
  start_after_create: z.boolean().optional(),
});

function hetznerError(res: http.ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message, details: {} } });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

function action(id: number, command: string, serverId: number): Record<string, unknown> {
  const now = new Date().toISOString();
  return { id, command, status: "running", progress: 0, started: now, finished: null, resources: [{ id: serverId, type: "server" }], error: null };
}

function serverJson(s: LocalServer): Record<string, unknown> {
  const type = LOCAL_SERVER_TYPES.find((t) => t.name === s.serverType);
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created,
    labels: s.labels,
    public_net: { ipv4: { ip: "127.0.0.1" }, ipv6: null },
    server_type: type ? { id: type.id, name: type.name, cores: type.cores, memory: type.memory, disk: type.disk } : { name: s.serverType },
    datacenter: { name: "local-dc1", location: { name: "local" } },
  };
}

/** Whether `labels` match a Hetzner label selector of `k=v`, `k!=v` and bare `k` terms, comma-separated. */
export function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "")
    .every((term) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(term);
      if (ne) return labels[ne[1]] !== ne[2];
      const eq = /^([^=]+)==?(.*)$/.exec(term);
      if (eq) return labels[eq[1]] === eq[2];
      return term in labels;
    });
}

/**
 * Starts the local VM host on 127.0.0.1. Returns it once listening; user data runs in the
 * background after a create answers (like a real VM booting). @throws when listening fails.
 */
export async function startVmHost(options: VmHostOptions): Promise<RunningVmHost> {
  const log = options.log ?? ((line: string) => console.log(line));
  const tokenHash = createHash("sha256").update(options.token).digest();
  const servers = new Map<number, LocalServer>();
  let nextId = 1000 + Math.floor(Math.random() * 1000);
  let nextAction = 1;
  let createdCount = 0;
  const baseDir = options.dir ?? os.tmpdir();

  const boot = async (server: LocalServer, userData: string): Promise<void> => {
    const script = path.join(server.dir, "user-data");
    await fsp.writeFile(script, userData, { mode: 0o700 });
    const child = spawn("bash", [script], {
      cwd: server.dir,
      env: {
        PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
        HOME: server.dir,
        LANG: "C.UTF-8",
        SAM_VM_DIR: server.dir,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
    server.exitCode = code;
    if (servers.get(server.id) === server && server.status === "initializing") server.status = code === 0 ? "running" : "off";
    await fsp.writeFile(path.join(server.dir, "user-data.log"), output).catch(() => {});
    if (code !== 0) log(`vm host: server ${server.id}'s user data failed (${code}): ${output.slice(-500)}`);
  };

  const stopServer = async (server: LocalServer): Promise<void> => {
    server.status = "deleting";
    try {
      const pid = Number(readFileSync(path.join(server.dir, "runner.pid"), "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, "SIGTERM");
    } catch {
      // no runner started, or already gone
    }
    await fsp.rm(server.dir, { recursive: true, force: true }).catch(() => {});
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (!auth || !timingSafeEqual(createHash("sha256").update(auth[1]).digest(), tokenHash)) {
      req.resume();
      return hetznerError(res, 401, "unauthorized", "unable to authenticate");
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? "GET";
    const byId = /^\/v1\/servers\/(\d+)$/.exec(url.pathname);
    const userDataOf = /^\/_local\/servers\/(\d+)\/user_data$/.exec(url.pathname);
    if (userDataOf && method === "GET") {
      const server = servers.get(Number(userDataOf[1]));
      if (!server?.userData) return hetznerError(res, 404, "not_found", "no such server, or its user data ran (not a dry run)");
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      return void res.end(server.userData);
    }
    if (url.pathname === "/v1/server_types" && method === "GET") {
      return send(res, 200, {
        server_types: LOCAL_SERVER_TYPES.map((t) => ({
          id: t.id,
          name: t.name,
          description: t.description,
          cores: t.cores,
          memory: t.memory,
          disk: t.disk,
          deprecated: false,
          cpu_type: "shared",
          architecture: "x86",
          storage_type: "local",
          prices: [{ location: "local", price_hourly: { net: t.hourly, gross: t.hourly }, price_monthly: { net: "0", gross: "0" } }],
        })),
        meta: { pagination: { page: 1, per_page: 50, previous_page: null, next_page: null, last_page: 1, total_entries: LOCAL_SERVER_TYPES.length } },
      });
    }
    if (url.pathname === "/v1/servers" && method === "POST") {
      let body: z.infer<typeof createSchema>;
      try {
        body = createSchema.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (error) {
        return hetznerError(res, 400, "invalid_input", `invalid input: ${error instanceof z.ZodError ? z.prettifyError(error) : "not JSON"}`);
      }
      if (!LOCAL_SERVER_TYPES.some((t) => t.name === body.server_type)) return hetznerError(res, 422, "invalid_input", `unknown server type ${body.server_type}`);
      if ([...servers.values()].some((s) => s.name === body.name)) return hetznerError(res, 409, "uniqueness_error", "server name is already used");
      const id = nextId++;
      const dir = await fsp.mkdtemp(path.join(baseDir, `sam-vm-${id}-`));
      const server: LocalServer = { id, name: body.name, status: "initializing", serverType: body.server_type, labels: body.labels, created: new Date().toISOString(), dir, exitCode: null, userData: options.dryRun ? body.user_data : null };
      servers.set(id, server);
      createdCount++;
      log(`vm host: created server ${id} (${body.name}, ${body.server_type}) in ${dir}`);
      if (!options.dryRun) void boot(server, body.user_data);
      return send(res, 201, { server: serverJson(server), action: action(nextAction++, "create_server", id), next_actions: [action(nextAction++, "start_server", id)], root_password: null });
    }
    if (url.pathname === "/v1/servers" && method === "GET") {
      const selector = url.searchParams.get("label_selector") ?? "";
      const list = [...servers.values()].filter((s) => matchesSelector(s.labels, selector)).map(serverJson);
      return send(res, 200, { servers: list, meta: { pagination: { page: 1, per_page: 50, previous_page: null, next_page: null, last_page: 1, total_entries: list.length } } });
    }
    if (byId && method === "GET") {
      const server = servers.get(Number(byId[1]));
      return server ? send(res, 200, { server: serverJson(server) }) : hetznerError(res, 404, "not_found", "server not found");
    }
    if (byId && method === "DELETE") {
      const server = servers.get(Number(byId[1]));
      if (!server) return hetznerError(res, 404, "not_found", "server not found");
      servers.delete(server.id);
      await stopServer(server);
      log(`vm host: deleted server ${server.id}`);
      return send(res, 200, { action: action(nextAction++, "delete_server", server.id) });
    }
    return hetznerError(res, 404, "not_found", "no such route");
  };

  const http_ = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) hetznerError(res, 500, "server_error", String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http_.once("error", reject);
    http_.listen(options.port, "127.0.0.1", () => resolve());
  });
  const port = (http_.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    servers: () => [...servers.values()],
    created: () => createdCount,
    close: async () => {
      await Promise.all([...servers.values()].map(stopServer));
      servers.clear();
      await new Promise<void>((resolve) => {
        http_.close(() => resolve());
        http_.closeAllConnections();
      });
    },
  };
}

/** A random API token for a local VM host. */
export function localVmHostToken(): string {
  return `local_${randomBytes(24).toString("base64url")}`;
}
