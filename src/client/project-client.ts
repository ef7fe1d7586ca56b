/**
 * The embeddable client: a typed, reconnecting connection to one project, built on
 * `partysocket`. Other apps (and SAM's own tests and CLI) use it to chat with a project and
 * follow its tasks live.
 *
 *   const client = connectProject({ host: "127.0.0.1:8787", projectId, token });
 *   client.onFrame((frame) => { if (frame.type === "chat.message") ... });
 *   client.sendChat(sessionId, "hello");
 *   client.watchTasks([taskId]); // its transcript, live, as `task.event` frames
 */
import PartySocket from "partysocket";
import { serverFrameSchema, type ClientFrame, type ServerFrame } from "../shared/protocol.ts";

/** Where and as whom to connect. `host` is `hostname:port`; `secure` picks wss. */
export interface ProjectClientOptions {
  host: string;
  projectId: string;
  /** A personal access token; sent as `?token=` because browsers cannot set upgrade headers. */
  token: string;
  secure?: boolean;
  /** A WebSocket implementation for runtimes without a global one. */
  WebSocket?: typeof WebSocket;
}

/** A live project connection. */
export interface ProjectClient {
  /** The underlying reconnecting socket. */
  socket: PartySocket;
  /** Registers a handler for every frame of SAM's protocol (SDK-internal frames are skipped). Returns an unsubscribe function. */
  onFrame(handler: (frame: ServerFrame) => void): () => void;
  /** Sends a chat message to a session of the project. */
  sendChat(sessionId: string, text: string): void;
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
  const socket = new PartySocket({
    host: options.host,
    protocol: options.secure ? "wss" : "ws",
    prefix: "agents",
    party: "project-agent",
    room: options.projectId,
    query: { token: options.token },
    WebSocket: options.WebSocket,
  });
  const handlers = new Set<(frame: ServerFrame) => void>();
  let watched: string[] = [];
  const sendWatch = () => {
    const frame: ClientFrame = { type: "task.watch", taskIds: watched };
    socket.send(JSON.stringify(frame));
  };
  // A new connection watches nothing: the set goes out again on every (re)open.
  socket.addEventListener("open", () => {
    if (watched.length > 0) sendWatch();
  });
  socket.addEventListener("message", (event: MessageEvent) => {
    if (typeof event.data !== "string") return;
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      return;
    }
    const frame = serverFrameSchema.safeParse(json);
    if (frame.success) for (const handler of handlers) handler(frame.data);
  });
  return {
    socket,
    onFrame(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    sendChat(sessionId, text) {
      const frame: ClientFrame = { type: "chat.send", sessionId, text };
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
    close: () => socket.close(),
  };
}
