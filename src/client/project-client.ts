/**
 * The embeddable client: a typed, reconnecting connection to one project, built on
 * `partysocket`. Other apps (and SAM's own tests and CLI) use it to chat with a project and
 * follow its tasks live.
 *
 *   const client = connectProject({ host: "127.0.0.1:8787", projectId, token });
 *   client.onFrame((frame) => { if (frame.type === "chat.message") ... });
 *   client.sendChat(sessionId, "hello");
 *   client.watchTasks([taskId]); // its transcript, live, as `task.event` frames
 *
 * Published as the package entry `sam/client` (src/client/index.ts; docs/embedding.md).
 */
import PartySocket from "partysocket";
import { parseFrame, serverFrameSchema, type ClientFrame, type ServerFrame } from "../shared/protocol.ts";

/**
 * Where and as whom to connect. `host` is `hostname:port` (then `secure` picks wss), or SAM's
 * URL (`https://sam.example`: wss for https, ws for http; `secure` is then ignored).
 */
export interface ProjectClientOptions {
  host: string;
  projectId: string;
  /** A personal access token or an embed token (`sam_emb_...`); sent as `?token=` because browsers cannot set upgrade headers. */
  token: string;
  secure?: boolean;
  /** A WebSocket implementation for runtimes without a global one. */
  WebSocket?: typeof WebSocket;
}

/**
 * Where a connection stands: `connecting` (before its first open), `open`, `reconnecting` (it
 * dropped or was refused and partysocket is trying again, with backoff), `closed` (by `close()`).
 */
export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

/** A live project connection. */
export interface ProjectClient {
  /** The underlying reconnecting socket. */
  socket: PartySocket;
  /** Registers a handler for every frame of SAM's protocol (SDK-internal frames are skipped). Returns an unsubscribe function. */
  onFrame(handler: (frame: ServerFrame) => void): () => void;
  /**
   * Registers a handler called with the connection's status each time it changes (see
   * {@link ConnectionStatus}), and once at once with the current one. Returns an unsubscribe function.
   */
  onStatus(handler: (status: ConnectionStatus) => void): () => void;
  /** The connection's status now. */
  status(): ConnectionStatus;
  /** Sends a chat message to a session of the project. */
  sendChat(sessionId: string, text: string): void;
  /**
   * Asks for a page of a session's messages (at most `limit`, default 50, just before seq
   * `before`, default the latest); the answer comes as a `chat.history` frame. The way an embed
   * token (which cannot call the API) loads history.
   */
  requestHistory(sessionId: string, before?: number, limit?: number): void;
  /** Asks for the project's tasks (newest first); the answer comes as a `task.list` frame. Needs `tasks:read` for an embed token. */
  requestTasks(): void;
  /**
   * Receive `task.event` frames of these tasks (at most MAX_WATCHED_TASKS; replaces the last
   * set; [] stops them). Remembered and sent again after every reconnect. Events from before the
   * watch took effect are in the transcript (`GET /api/tasks/:id/transcript?after=`).
   */
  watchTasks(taskIds: string[]): void;
  /** Resolves once the socket is open. */
  opened(): Promise<void>;
  close(): void;
}

/** Opens a project connection (it reconnects by itself after drops). */
export function connectProject(options: ProjectClientOptions): ProjectClient {
  const target = socketTarget(options.host, options.secure ?? false);
  const socket = new PartySocket({
    host: target.host,
    protocol: target.secure ? "wss" : "ws",
    prefix: "agents",
    party: "project-agent",
    room: options.projectId,
    query: { token: options.token },
    WebSocket: options.WebSocket,
  });
  const handlers = new Set<(frame: ServerFrame) => void>();
  const statusHandlers = new Set<(status: ConnectionStatus) => void>();
  let status: ConnectionStatus = "connecting";
  const setStatus = (next: ConnectionStatus) => {
    if (next === status) return;
    status = next;
    for (const handler of statusHandlers) handler(next);
  };
  let watched: string[] = [];
  const sendWatch = () => {
    const frame: ClientFrame = { type: "task.watch", taskIds: watched };
    socket.send(JSON.stringify(frame));
  };
  // A new connection watches nothing: the set goes out again on every (re)open.
  socket.addEventListener("open", () => {
    if (watched.length > 0) sendWatch();
    setStatus("open");
  });
  socket.addEventListener("close", () => {
    if (status !== "closed") setStatus("reconnecting");
  });
  socket.addEventListener("message", (event: MessageEvent) => {
    const frame = parseFrame(serverFrameSchema, event.data);
    if (frame) for (const handler of handlers) handler(frame);
  });
  return {
    socket,
    onFrame(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    onStatus(handler) {
      statusHandlers.add(handler);
      handler(status);
      return () => statusHandlers.delete(handler);
    },
    status: () => status,
    sendChat(sessionId, text) {
      const frame: ClientFrame = { type: "chat.send", sessionId, text };
      socket.send(JSON.stringify(frame));
    },
    requestHistory(sessionId, before, limit) {
      const frame: ClientFrame = { type: "chat.history", sessionId, ...(before === undefined ? {} : { before }), ...(limit === undefined ? {} : { limit }) };
      socket.send(JSON.stringify(frame));
    },
    requestTasks() {
      const frame: ClientFrame = { type: "task.list" };
      socket.send(JSON.stringify(frame));
    },
    watchTasks(taskIds) {
      watched = [...taskIds];
      if (socket.readyState === socket.OPEN) sendWatch();
    },
    opened() {
      if (socket.readyState === socket.OPEN) return Promise.resolve();
      return new Promise((resolve) => socket.addEventListener("open", () => resolve(), { once: true }));
    },
    close: () => {
      setStatus("closed");
      socket.close();
    },
  };
}

/**
 * The `hostname:port` and scheme of a project socket from `host` as {@link ProjectClientOptions}
 * takes it: a URL (`https://sam.example/`: its host, wss for https and wss) or a bare
 * `hostname:port` (then `secure` decides). @throws TypeError when `host` is a URL that does not parse.
 */
export function socketTarget(host: string, secure: boolean): { host: string; secure: boolean } {
  if (!host.includes("://")) return { host, secure };
  const url = new URL(host);
  return { host: url.host, secure: url.protocol === "https:" || url.protocol === "wss:" };
}
