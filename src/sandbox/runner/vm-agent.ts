/**
 * The runner's VM mode (issue 16): on a VM, SAM's runner serves the `Workspace` port over a
 * WebSocket it opens OUT to SAM (`<samUrl>/vm/connect?task=<taskId>`), so the VM needs no
 * inbound port. Frames: `src/sandbox/vm/protocol.ts`.
 *
 * It starts the ordinary runner service on loopback (`server.ts`, with a random secret nobody
 * else knows, and the VM's machine profile), presents the one-time registration token once,
 * keeps the per-VM credential the task actor gives back (in memory only), and reconnects with
 * that credential when the socket drops. Each `request` is made against the local service and
 * answered with its status and body. A refused hello (close code 4001) stops it for good.
 */
import { randomBytes } from "node:crypto";
import { VM_REFUSED_CLOSE_CODE, vmActorFrameSchema, type VmRunnerFrame } from "../vm/protocol.ts";
import { VM_PROFILE, type IsolationInfo } from "./sandbox.ts";
import { startRunner, type RunningRunner } from "./server.ts";

/** Options of {@link startVmAgent}. */
export interface VmAgentOptions {
  /** SAM's URL (http(s)://host[:port]); the socket goes to its `/vm/connect`. */
  samUrl: string;
  taskId: string;
  /** The one-time registration token from the user data. */
  registrationToken: string;
  workspacesDir: string;
  /** Whether workspaces on this VM get the network (forced into every create and import). */
  network: boolean;
  /** Run commands unsandboxed when bubblewrap is unavailable (unsafe). */
  allowUnsandboxed?: boolean;
  /** For tests: the isolation probe's result. */
  isolation?: IsolationInfo;
  /** Where lines about the connection go (default console.log). */
  log?: (line: string) => void;
  /** Delay before a reconnect, ms (default 1,000). */
  reconnectDelayMs?: number;
}

/** A running VM agent. */
export interface RunningVmAgent {
  /** The local runner it serves from. */
  runner: RunningRunner;
  /** Resolves when SAM refused the agent (a wrong or used token or credential): the agent has stopped. */
  refused: Promise<void>;
  /** Whether SAM accepted the agent at least once. */
  registered(): boolean;
  /** Closes the socket, stops reconnecting and stops the local runner. */
  close(): Promise<void>;
}

/**
 * Starts the VM agent: the local runner, then the outbound socket. Returns at once (the socket
 * connects in the background and reconnects on its own). @throws when the runner cannot start.
 */
export async function startVmAgent(options: VmAgentOptions): Promise<RunningVmAgent> {
  const log = options.log ?? ((line: string) => console.log(line));
  const secret = randomBytes(32).toString("base64url");
  const runner = await startRunner({
    port: 0,
    host: "127.0.0.1",
    secret,
    workspacesDir: options.workspacesDir,
    allowUnsandboxed: options.allowUnsandboxed,
    isolation: options.isolation,
    profile: VM_PROFILE,
  });
  const url = new URL("/vm/connect", options.samUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.searchParams.set("task", options.taskId);
  let credential: string | null = null;
  let token: string | null = options.registrationToken;
  let closed = false;
  let socket: WebSocket | null = null;
  let everRegistered = false;
  let onRefused: () => void = () => {};
  const refused = new Promise<void>((resolve) => (onRefused = resolve));
  const inFlight = new Map<string, AbortController>();

  const send = (ws: WebSocket, frame: VmRunnerFrame): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  };

  /** One request against the local runner; the network flag is forced on creates and imports. */
  const serve = async (ws: WebSocket, id: string, method: string, path: string, body: string | undefined): Promise<void> => {
    const controller = new AbortController();
    inFlight.set(id, controller);
    try {
      let sent = body;
      if (body !== undefined && (method === "PUT" || path.endsWith("/import"))) {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        sent = JSON.stringify({ ...parsed, network: options.network && parsed.network === true });
      }
      const response = await fetch(runner.url + path, {
        method,
        headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
        body: sent,
        signal: controller.signal,
      });
      send(ws, { type: "response", id, status: response.status, body: await response.text() });
    } catch (error) {
      const message = controller.signal.aborted ? "the request was cancelled" : `the VM's runner failed: ${String(error)}`;
      send(ws, { type: "response", id, status: controller.signal.aborted ? 409 : 503, body: JSON.stringify({ error: { code: controller.signal.aborted ? "cancelled" : "sandbox_unavailable", message } }) });
    } finally {
      inFlight.delete(id);
    }
  };

  const connect = (): void => {
    if (closed) return;
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener("open", () => {
      // The token the first time; after that only the credential (a token works once).
      send(ws, credential ? { type: "hello", credential, version: 1 } : { type: "hello", token: token ?? undefined, version: 1 });
    });
    ws.addEventListener("message", (event) => {
      let raw: unknown;
      try {
        raw = JSON.parse(typeof event.data === "string" ? event.data : "");
      } catch {
        return;
      }
      const frame = vmActorFrameSchema.safeParse(raw);
      if (!frame.success) return;
      const f = frame.data;
      if (f.type === "welcome") {
        if (f.credential) {
          credential = f.credential;
          token = null;
        }
        if (!everRegistered) log(`vm agent: registered with ${url.origin} for task ${options.taskId}`);
        everRegistered = true;
      } else if (f.type === "request") {
        void serve(ws, f.id, f.method, f.path, f.body);
      } else if (f.type === "cancel") {
        inFlight.get(f.id)?.abort();
      }
    });
    ws.addEventListener("close", (event) => {
      if (socket === ws) socket = null;
      for (const controller of inFlight.values()) controller.abort();
      if (event.code === VM_REFUSED_CLOSE_CODE) {
        log(`vm agent: SAM refused this VM (${event.reason || "wrong or used credential"}); stopping`);
        closed = true;
        onRefused();
        return;
      }
      if (!closed) setTimeout(connect, options.reconnectDelayMs ?? 1000);
    });
    ws.addEventListener("error", () => {
      // A close event follows; reconnecting happens there.
    });
  };
  connect();

  return {
    runner,
    refused,
    registered: () => everRegistered,
    close: async () => {
      closed = true;
      socket?.close(1000, "the VM agent stops");
      await runner.close();
    },
  };
}
