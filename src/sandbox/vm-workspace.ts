/**
 * The task actor's side of a VM's workspace (issue 16): the runner's HTTP protocol carried over
 * the socket the VM's runner opened to the actor (frames: `vm/protocol.ts`). `VmTunnel` sends
 * each request as a `request` frame and awaits the `response` with the same id, under a
 * deadline; `vmWorkspace` is the local-runner adapter (`local-runner.ts`) speaking through it,
 * so a VM serves exactly the `Workspace` port the sandbox does.
 */
import { LocalRunnerWorkspace } from "./local-runner.ts";
import { EXEC_MAX_TIMEOUT_MS } from "./workspace.ts";
import type { VmActorFrame, VmRunnerFrame } from "./vm/protocol.ts";

/** Where frames go: the VM's socket (or null while it is not connected). */
export interface VmSocket {
  send(text: string): void;
}

/** Deadline of one request other than `exec`, ms (an archive import included). */
export const VM_REQUEST_TIMEOUT_MS = 120_000;
/** Deadline of an `exec` beyond its own timeout, ms. */
export const VM_EXEC_GRACE_MS = 30_000;

interface Pending {
  resolve(response: Response): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Requests over a VM's socket. One per actor instance; `socket()` gives the connection of the moment. */
export class VmTunnel {
  private readonly pending = new Map<string, Pending>();
  private next = 1;
  private readonly socket: () => VmSocket | null;

  constructor(socket: () => VmSocket | null) {
    this.socket = socket;
  }

  /**
   * A `fetch` over the socket: `url`'s path and query go to the VM's runner; resolves with its
   * answer. Rejects (TypeError, as fetch does) when the VM is not connected, the deadline passes
   * or the connection drops; aborting `init.signal` sends `cancel` and rejects.
   */
  fetch(url: string, init: RequestInit): Promise<Response> {
    const socket = this.socket();
    if (!socket) return Promise.reject(new TypeError("the VM is not connected"));
    const id = `r${this.next++}`;
    const path = new URL(url).pathname;
    const body = typeof init.body === "string" ? init.body : undefined;
    const frame: VmActorFrame = { type: "request", id, method: (init.method ?? "GET") as "GET", path, body };
    const timeoutMs = path.endsWith("/exec") ? EXEC_MAX_TIMEOUT_MS + VM_EXEC_GRACE_MS : VM_REQUEST_TIMEOUT_MS;
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new TypeError(`the VM did not answer within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      init.signal?.addEventListener("abort", () => {
        this.socket()?.send(JSON.stringify({ type: "cancel", id } satisfies VmActorFrame));
        this.settle(id, new TypeError("aborted"));
      });
      try {
        socket.send(JSON.stringify(frame));
      } catch (error) {
        this.settle(id, new TypeError(`the VM's socket failed: ${String(error)}`));
      }
    });
  }

  /** Hands a `response` frame to the request waiting for it (unknown ids are ignored). */
  answer(frame: Extract<VmRunnerFrame, { type: "response" }>): void {
    this.settle(id(frame), new Response(frame.body, { status: frame.status, headers: { "content-type": "application/json" } }));
  }

  /** Fails every request in flight (the connection dropped). */
  failAll(reason: string): void {
    for (const key of [...this.pending.keys()]) this.settle(key, new TypeError(reason));
  }

  private settle(key: string, outcome: Response | Error): void {
    const pending = this.pending.get(key);
    if (!pending) return;
    this.pending.delete(key);
    clearTimeout(pending.timer);
    if (outcome instanceof Response) pending.resolve(outcome);
    else pending.reject(outcome);
  }
}

function id(frame: { id: string }): string {
  return frame.id;
}

/** The workspace `workspaceId` on a VM, reached through `tunnel`. */
export function vmWorkspace(tunnel: VmTunnel, workspaceId: string): LocalRunnerWorkspace {
  return new LocalRunnerWorkspace({ url: "http://vm.invalid", secret: "vm" }, workspaceId, (url, init) => tunnel.fetch(url, init));
}
