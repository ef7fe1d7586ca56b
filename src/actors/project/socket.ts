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
import { MAX_TASK_LIST, type ChatMessage, type FrameErrorCode, type ServerFrame, type TaskView, type TranscriptEvent } from "../../shared/protocol.ts";
import {
  connectionStateSchema,
  countFrame,
  credentialExpired,
  credentialExpiry,
  FRAME_RATE_LIMIT,
  mayAct,
  mayReceive,
  parseClientFrame,
  presentUsers,
  userFromHeaders,
  watchState,
  welcomeFrame,
  type ConnectionState,
  type FrameWindow,
} from "./frames.ts";

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

/**
 * Who writes on a socket: the author shown in the chat, who pays for the tech lead's turns it
 * starts, and what their message may set off (a person: everything their role allows; an embed's
 * visitor: answers to tasks only with `tasks:write`, and a tech lead without tools).
 */
export interface SocketWriter {
  author: { id: string; name: string };
  payer: { id: string; name: string };
  rights: { answerTasks: boolean; leadTools: boolean };
}

/** What the socket needs from its actor: its connections, and how to act on a client's frames. */
export interface SocketHost {
  /** The actor's open connections (`Agent.getConnections`). */
  connections(): Iterable<Connection<unknown>>;
  /** Sends `message` to every open connection (`Agent.broadcast`). */
  broadcast(message: string): void;
  /** Acts on a `chat.send`; returns false when the session does not exist in this project. */
  chatSend(writer: SocketWriter, sessionId: string, text: string): Promise<boolean>;
  /** Acts on a `task.answer` (`from` names who answers); the refusal's message when the task is not this project's or not waiting for an answer. */
  taskAnswer(taskId: string, text: string, from: string): Promise<{ ok: true } | { ok: false; message: string }>;
  /** A page of a session's messages, oldest first (see `ProjectAgent.listMessages`); null when the session is not this project's. */
  history(sessionId: string, before?: number, limit?: number): Promise<ChatMessage[] | null>;
  /** The project's tasks, newest first, as last reported. */
  tasks(): Promise<TaskView[]>;
  /** Asks for `closeExpired` to run at `at` (an embed token's or a person's token's expiry). */
  scheduleExpiry(at: Date): void;
  /**
   * Whether a just-accepted connection's access still holds (its membership and account, or its
   * embed token and maker), read afresh: the Worker checked it, but a removal or revocation may
   * have closed sockets between its check and this connection's registration.
   */
  stillAllowed(user: ConnectionState): Promise<boolean>;
}

/** One project's socket. Keeps, per connection, a cache of its parsed state (its stored state is the record). */
export class ProjectSocket {
  /** Connection id → its state as stored, parsed once per instance (see `stateOf`). */
  private readonly states = new Map<string, ConnectionState>();
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
   * user in its state and sending it its `welcome` frame; closes any other with
   * UNAUTHENTICATED_CLOSE_CODE.
   */
  connect(connection: Connection, context: ConnectionContext): void {
    const user = userFromHeaders(context.request.headers);
    if (!user) {
      connection.close(UNAUTHENTICATED_CLOSE_CODE, "unauthenticated");
      return;
    }
    const state: ConnectionState = { ...user, watching: [] };
    connection.setState(state);
    this.states.set(connection.id, state);
    connection.send(JSON.stringify(welcomeFrame(user)));
    const expiry = credentialExpiry(user);
    if (expiry !== null) this.host.scheduleExpiry(new Date(expiry));
    this.sendPresence();
    void this.host.stillAllowed(state).then(
      (allowed) => {
        if (!allowed) this.closeOne(connection, "access changed");
      },
      (error: unknown) => console.error(`project socket: re-checking connection ${connection.id} failed: ${String(error)}`),
    );
  }

  /** Closes one connection for an access change and forgets it. */
  private closeOne(connection: Connection<unknown>, reason: string): void {
    connection.close(ACCESS_CHANGED_CLOSE_CODE, reason);
    this.forget(connection.id);
    this.sendPresence(connection.id);
  }

  /** Forgets a closed connection (its state and frame count) and tells the others who is still online. */
  close(connection: Connection): void {
    this.forget(connection.id);
    this.sendPresence(connection.id);
  }

  /** Closes the sockets whose token (an embed token, or a person's token) has expired by `nowMs` (an alarm runs it at each expiry). Returns how many. */
  closeExpired(nowMs = this.clock()): number {
    let closed = 0;
    for (const connection of this.host.connections()) {
      const state = this.stateOf(connection);
      if (!state || !credentialExpired(state, nowMs)) continue;
      connection.close(ACCESS_CHANGED_CLOSE_CODE, state.embed ? "embed token expired" : "token expired");
      this.forget(connection.id);
      closed++;
    }
    return closed;
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
   * Acts on a client's message (see `parseClientFrame`) if the connection may (`mayAct`):
   * `task.watch` replaces the connection's watch set; `chat.send` posts the message as the
   * connection's user, or an embed's visitor (`not_found` when the session is not this
   * project's); `task.answer` answers a waiting task; `chat.history` and `task.list` are answered
   * to this connection alone. A socket whose token (embed or personal) expired is closed.
   * Problems are answered with an `error` frame, never thrown.
   */
  async receive(connection: Connection, raw: WSMessage): Promise<void> {
    const decision = parseClientFrame(raw);
    if (decision.kind === "ignore") return;
    if (decision.kind === "error") return sendError(connection, decision.code, decision.message);
    const user = this.stateOf(connection);
    if (!user) return sendError(connection, "internal", "connection has no user");
    if (credentialExpired(user, this.clock())) {
      connection.close(ACCESS_CHANGED_CLOSE_CODE, user.embed ? "embed token expired" : "token expired");
      return;
    }
    const frame = decision.frame;
    const allowed = mayAct(user, frame);
    if (!allowed.ok) return sendError(connection, allowed.code, allowed.message);
    switch (frame.type) {
      case "task.watch": {
        const state = watchState(user, frame.taskIds);
        connection.setState(state);
        this.states.set(connection.id, state);
        return;
      }
      case "chat.send": {
        const author = { id: user.userId, name: user.userName };
        const payer = user.embed ? { id: user.embed.payerId, name: user.userName } : author;
        const rights = user.embed ? { answerTasks: user.embed.capabilities.includes("tasks:write"), leadTools: false } : { answerTasks: true, leadTools: true };
        const found = await this.host.chatSend({ author, payer, rights }, frame.sessionId, frame.text);
        if (!found) sendError(connection, "not_found", `no session ${frame.sessionId} in this project`);
        return;
      }
      case "task.answer": {
        const answered = await this.host.taskAnswer(frame.taskId, frame.text, user.userName);
        if (!answered.ok) sendError(connection, "not_found", answered.message);
        return;
      }
      case "chat.history": {
        const messages = await this.host.history(frame.sessionId, frame.before, frame.limit);
        if (!messages) return sendError(connection, "not_found", `no session ${frame.sessionId} in this project`);
        const hasMore = messages.length > 0 && messages[0].seq > 1;
        const answer = { type: "chat.history", sessionId: frame.sessionId, before: frame.before ?? null, messages, hasMore } satisfies ServerFrame;
        connection.send(JSON.stringify(answer));
        return;
      }
      case "task.list": {
        const tasks = (await this.host.tasks()).slice(0, MAX_TASK_LIST);
        connection.send(JSON.stringify({ type: "task.list", tasks } satisfies ServerFrame));
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
      const user = this.stateOf(connection);
      if (!user) continue;
      // A user's sockets include the embeds they made (their removal or suspension ends those too).
      const matches = "userId" in filter ? user.userId === filter.userId || user.embed?.payerId === filter.userId : user.tokenId === filter.tokenId;
      if (!matches) continue;
      connection.close(ACCESS_CHANGED_CLOSE_CODE, reason);
      this.forget(connection.id);
      closed++;
    }
    if (closed > 0) this.sendPresence();
    return closed;
  }

  /**
   * Sends `frame` to every client of the project that may receive it (`mayReceive`; an expired
   * embed's socket and one not yet accepted receive nothing): all of them at once while every
   * connection is a person's (the common case), else connection by connection.
   */
  send(frame: ServerFrame): void {
    const message = JSON.stringify(frame);
    const connections = [...this.host.connections()];
    const states = connections.map((c) => this.stateOf(c));
    if (states.every((s) => s !== null && !s.embed)) {
      this.host.broadcast(message);
      return;
    }
    const nowMs = this.clock();
    connections.forEach((connection, i) => {
      const state = states[i];
      if (state && !credentialExpired(state, nowMs) && mayReceive(state, frame)) connection.send(message);
    });
  }

  /** Sends each of `events` as a `task.event` frame, in order, to the connections watching `taskId` only (and allowed to read tasks). */
  sendTaskEvents(taskId: string, events: readonly TranscriptEvent[]): void {
    if (events.length === 0) return;
    const watchers = [...this.host.connections()].filter((c) => this.stateOf(c)?.watching.includes(taskId));
    if (watchers.length === 0) return;
    for (const event of events) {
      const frame = { type: "task.event", taskId, event } satisfies ServerFrame;
      const message = JSON.stringify(frame);
      for (const connection of watchers) {
        const state = this.stateOf(connection);
        if (state && !credentialExpired(state, this.clock()) && mayReceive(state, frame)) connection.send(message);
      }
    }
  }

  /** Tells every client who is online (`presence`), leaving out the connection `closingId` that is closing. */
  private sendPresence(closingId?: string): void {
    const users = presentUsers([...this.host.connections()].filter((c) => c.id !== closingId).flatMap((c) => this.stateOf(c) ?? []));
    this.send({ type: "presence", users });
  }

  /** A connection's state; parsed from its stored state once per instance (it survives hibernation there). Null when missing or malformed. */
  private stateOf(connection: Connection<unknown>): ConnectionState | null {
    const cached = this.states.get(connection.id);
    if (cached) return cached;
    const parsed = connectionStateSchema.safeParse(connection.state);
    if (!parsed.success) return null;
    this.states.set(connection.id, parsed.data);
    return parsed.data;
  }

  private forget(connectionId: string): void {
    this.states.delete(connectionId);
    this.frameWindows.delete(connectionId);
  }
}

/** Sends one connection an `error` frame of `code` with `message`. */
function sendError(connection: Connection, code: FrameErrorCode, message: string): void {
  connection.send(JSON.stringify({ type: "error", code, message } satisfies ServerFrame));
}
