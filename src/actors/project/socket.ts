/**
 * The project's WebSocket: who may connect, what a client's frame does, which connections watch
 * which tasks (`task.watch`), and the frames sent out (to every client, to a task's watchers, or
 * an `error` frame to one). The decisions themselves are pure (frames.ts); this module applies
 * them to the Agents SDK's connections.
 *
 * Every frame a connection sends is first counted against FRAME_RATE_LIMIT (`admit`): one over
 * it gets a `rate_limited` error frame and is dropped, the connection stays open, and a flood is
 * logged once per connection per window. The counts live in memory only (a connection's state is
 * persisted, and a write per frame would cost more than the frame); they start afresh when the
 * actor wakes from hibernation, which a flood keeps it from doing.
 */
import type { Connection, ConnectionContext, WSMessage } from "agents";
import type { FrameErrorCode, ServerFrame, TranscriptEvent } from "../../shared/protocol.ts";
import { connectionStateSchema, countFrame, FRAME_RATE_LIMIT, parseClientFrame, userFromHeaders, watchedIn, watchState, type FrameWindow } from "./frames.ts";

/** WebSocket close code for an upgrade that did not come through the Worker's authentication. */
export const UNAUTHENTICATED_CLOSE_CODE = 4001;
/**
 * WebSocket close code for a connection whose access changed (its user was removed from the
 * project, changed role or was suspended; its token was revoked): a client may reconnect and is
 * then checked afresh.
 */
export const ACCESS_CHANGED_CLOSE_CODE = 4003;

/** Which connections to close: all of a user's, or those opened with one token. */
export type ConnectionFilter = { userId: string } | { tokenId: string };

/** What the socket needs from its actor: its connections, and how to act on a `chat.send`. */
export interface SocketHost {
  /** The actor's open connections (`Agent.getConnections`). */
  connections(): Iterable<Connection<unknown>>;
  /** Sends `message` to every open connection (`Agent.broadcast`). */
  broadcast(message: string): void;
  /** Acts on a person's `chat.send`; returns false when the session does not exist in this project. */
  chatSend(user: { id: string; name: string }, sessionId: string, text: string): Promise<boolean>;
}

/** One project's socket. Keeps, per connection, a cache of the tasks it watches (its state is the record). */
export class ProjectSocket {
  /** Connection id → the tasks it watches, as in its state (see `watchedBy`). */
  private readonly watching = new Map<string, ReadonlySet<string>>();
  /** Connection id → its frames in the current rate-limit window (see `admit`). */
  private readonly frameWindows = new Map<string, FrameWindow>();
  /** The time now, epoch ms, for the rate limit's windows: `Date.now`; a test moves it to end a window without waiting. */
  clock: () => number = Date.now;

  private readonly host: SocketHost;

  constructor(host: SocketHost) {
    this.host = host;
  }

  /**
   * Accepts a connection whose upgrade carries the user headers the Worker sets, recording the
   * user in its state; closes any other with UNAUTHENTICATED_CLOSE_CODE.
   */
  connect(connection: Connection, context: ConnectionContext): void {
    const user = userFromHeaders(context.request.headers);
    if (!user) {
      connection.close(UNAUTHENTICATED_CLOSE_CODE, "unauthenticated");
      return;
    }
    connection.setState(user);
  }

  /** Forgets what a closed connection watched, and its frame count. */
  close(connection: Connection): void {
    this.watching.delete(connection.id);
    this.frameWindows.delete(connection.id);
  }

  /**
   * Counts a frame `connection` sent (any frame, before anything acts on it; see `countFrame`
   * and FRAME_RATE_LIMIT). Returns true when it may be acted on; otherwise answers it with a
   * `rate_limited` error frame, logs the first one of the window, and returns false (drop it).
   */
  admit(connection: Connection): boolean {
    const nowMs = this.clock();
    const count = countFrame(this.frameWindows.get(connection.id), nowMs);
    this.frameWindows.set(connection.id, count.window);
    if (count.allowed) return true;
    const { maxFrames, windowMs } = FRAME_RATE_LIMIT;
    if (count.flood) {
      const user = connectionStateSchema.safeParse(connection.state);
      console.warn(`project socket: connection ${connection.id} (user ${user.success ? user.data.userId : "unknown"}) sent more than ${maxFrames} frames in ${windowMs / 1000} s; dropping its frames until the window ends`);
    }
    const retryInSeconds = Math.max(1, Math.ceil((count.window.startedAtMs + windowMs - nowMs) / 1000));
    sendError(connection, "rate_limited", `too many frames: at most ${maxFrames} per ${windowMs / 1000} s per connection; this frame was dropped, send again in ${retryInSeconds} s`);
    return false;
  }

  /**
   * Acts on a client's message (see `parseClientFrame`): `task.watch` replaces the connection's
   * watch set; `chat.send` posts the message as the connection's user (`not_found` when the
   * session is not this project's). Problems are answered with an `error` frame, never thrown.
   */
  async receive(connection: Connection, raw: WSMessage): Promise<void> {
    const decision = parseClientFrame(raw);
    if (decision.kind === "ignore") return;
    if (decision.kind === "error") return sendError(connection, decision.code, decision.message);
    const user = connectionStateSchema.safeParse(connection.state);
    if (!user.success) return sendError(connection, "internal", "connection has no user");
    const frame = decision.frame;
    switch (frame.type) {
      case "task.watch": {
        const state = watchState(user.data, frame.taskIds);
        connection.setState(state);
        this.watching.set(connection.id, new Set(state.watching));
        return;
      }
      case "chat.send": {
        if (user.data.role === "viewer") return sendError(connection, "forbidden", "viewers may only read");
        const found = await this.host.chatSend({ id: user.data.userId, name: user.data.userName }, frame.sessionId, frame.text);
        if (!found) sendError(connection, "not_found", `no session ${frame.sessionId} in this project`);
        return;
      }
    }
  }

  /**
   * Closes the connections `filter` names with ACCESS_CHANGED_CLOSE_CODE and `reason`. Returns
   * how many it closed.
   */
  closeWhere(filter: ConnectionFilter, reason: string): number {
    let closed = 0;
    for (const connection of this.host.connections()) {
      const user = connectionStateSchema.safeParse(connection.state);
      if (!user.success) continue;
      const matches = "userId" in filter ? user.data.userId === filter.userId : user.data.tokenId === filter.tokenId;
      if (!matches) continue;
      connection.close(ACCESS_CHANGED_CLOSE_CODE, reason);
      this.watching.delete(connection.id);
      this.frameWindows.delete(connection.id);
      closed++;
    }
    return closed;
  }

  /** Sends `frame` to every client of the project. */
  send(frame: ServerFrame): void {
    this.host.broadcast(JSON.stringify(frame));
  }

  /** Sends each of `events` as a `task.event` frame, in order, to the connections watching `taskId` only. */
  sendTaskEvents(taskId: string, events: readonly TranscriptEvent[]): void {
    if (events.length === 0) return;
    const watchers = [...this.host.connections()].filter((c) => this.watchedBy(c).has(taskId));
    if (watchers.length === 0) return;
    for (const event of events) {
      const frame = JSON.stringify({ type: "task.event", taskId, event } satisfies ServerFrame);
      for (const connection of watchers) connection.send(frame);
    }
  }

  /** The tasks `connection` watches; read from its stored state once per instance (it survives hibernation there). */
  private watchedBy(connection: Connection<unknown>): ReadonlySet<string> {
    let watched = this.watching.get(connection.id);
    if (!watched) {
      watched = watchedIn(connection.state);
      this.watching.set(connection.id, watched);
    }
    return watched;
  }
}

/** Sends one connection an `error` frame of `code` with `message`. */
function sendError(connection: Connection, code: FrameErrorCode, message: string): void {
  connection.send(JSON.stringify({ type: "error", code, message } satisfies ServerFrame));
}
