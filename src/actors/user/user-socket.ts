/**
 * The user's own WebSocket (`/agents/user-agent/<userId>`): the Worker lets only that user in
 * (their token or sign-in, an active account, SAM's own origin for a browser) and passes who they
 * are in headers it sets itself; this module accepts a connection only when those headers name
 * this actor's user, re-checks the account and credential in D1 once accepted (a revocation
 * between the Worker's check and this moment would otherwise miss it), closes a connection whose
 * token expires at its expiry (the Worker passes it as the project socket's), sends frames
 * (`notification.new`, `notification.unread`: src/shared/protocol.ts `userServerFrameSchema`)
 * and closes connections whose access changed.
 */
import type { Connection, ConnectionContext } from "agents";
import { z } from "zod";
import { countFrame, FRAME_RATE_LIMIT, type FrameWindow } from "../project/frames.ts";
import { CREDENTIAL_EXPIRES_HEADER, TOKEN_ID_HEADER, USER_ID_HEADER, type UserServerFrame } from "../../shared/protocol.ts";

/** Close code for an upgrade that did not come through the Worker's authentication (as the project socket's). */
export const USER_SOCKET_UNAUTHENTICATED = 4001;
/** Close code for a connection whose access changed (suspended, token revoked, signed out), as the project socket's. */
export const USER_SOCKET_ACCESS_CHANGED = 4003;

/**
 * What a connection of the user's socket records: who opened it, with which token or sign-in,
 * and when that token expires (ISO 8601; absent for a sign-in or a token without expiry).
 */
export const userConnectionStateSchema = z.object({ userId: z.string().min(1), tokenId: z.string().min(1), expiresAt: z.string().optional() });
/** `{userId, tokenId, expiresAt?}`; see {@link userConnectionStateSchema}. */
export type UserConnectionState = z.infer<typeof userConnectionStateSchema>;

/** Which connections to close: all of the user's, or those opened with one token or sign-in. */
export type UserSocketFilter = { userId: string } | { tokenId: string };

/** What the socket needs from its actor. */
export interface UserSocketHost {
  /** This actor's user id (its name). */
  userId(): string;
  connections(): Iterable<Connection<unknown>>;
  unreadCount(): number;
  /** Whether the account is still active and the credential still exists (read afresh). */
  stillAllowed(state: UserConnectionState): Promise<boolean>;
  /** Asks for `closeExpired` to run at `at` (a token's expiry). */
  scheduleExpiry(at: Date): void;
}

/** The user's socket. */
export class UserSocket {
  private readonly host: UserSocketHost;
  /** The time now (epoch ms); tests move it. */
  clock: () => number = () => Date.now();
  /** Per connection: its frames in the current window (memory only, like the project socket's). */
  private readonly frameWindows = new Map<string, FrameWindow>();

  constructor(host: UserSocketHost) {
    this.host = host;
  }

  /**
   * Accepts `connection` when the Worker's headers name this actor's user (and a token), records
   * them in its state and sends it `notification.unread`; closes it with
   * USER_SOCKET_UNAUTHENTICATED otherwise. The access is re-checked right after, and a token's
   * expiry scheduled (`closeExpired`).
   */
  connect(connection: Connection, context: ConnectionContext): void {
    const headers = context.request.headers;
    const state = userConnectionStateSchema.safeParse({ userId: headers.get(USER_ID_HEADER), tokenId: headers.get(TOKEN_ID_HEADER), expiresAt: headers.get(CREDENTIAL_EXPIRES_HEADER) ?? undefined });
    if (!state.success || state.data.userId !== this.host.userId()) {
      connection.close(USER_SOCKET_UNAUTHENTICATED, "unauthenticated");
      return;
    }
    if (expired(state.data, this.clock())) {
      connection.close(USER_SOCKET_ACCESS_CHANGED, "token expired");
      return;
    }
    connection.setState(state.data);
    if (state.data.expiresAt !== undefined) this.host.scheduleExpiry(new Date(state.data.expiresAt));
    sendTo(connection, { type: "notification.unread", unreadCount: this.host.unreadCount() });
    void this.host.stillAllowed(state.data).then(
      (allowed) => {
        if (!allowed) connection.close(USER_SOCKET_ACCESS_CHANGED, "access changed");
      },
      (error: unknown) => console.error(`user socket: re-checking connection ${connection.id} failed: ${String(error)}`),
    );
  }

  /** Sends `frame` to every accepted connection of the user whose token has not expired. */
  send(frame: UserServerFrame): void {
    const text = JSON.stringify(frame);
    const nowMs = this.clock();
    for (const connection of this.host.connections()) {
      const state = stateOf(connection);
      if (state && !expired(state, nowMs)) connection.send(text);
    }
  }

  /** Closes the connections whose token expired by `nowMs` (epoch ms) with USER_SOCKET_ACCESS_CHANGED, "token expired" (an alarm runs it at each expiry). Returns how many. */
  closeExpired(nowMs = this.clock()): number {
    let closed = 0;
    for (const connection of this.host.connections()) {
      const state = stateOf(connection);
      if (!state || !expired(state, nowMs)) continue;
      connection.close(USER_SOCKET_ACCESS_CHANGED, "token expired");
      closed++;
    }
    return closed;
  }

  /**
   * Answers a client's frame: this socket takes none (an `error` frame; the connection stays
   * open). Frames are counted as on the project socket (FRAME_RATE_LIMIT, per connection): past
   * the limit one `rate_limited` error is sent for the window and the rest go unanswered.
   */
  refuseFrame(connection: Connection): void {
    const count = countFrame(this.frameWindows.get(connection.id), this.clock());
    this.frameWindows.set(connection.id, count.window);
    if (count.allowed) {
      sendTo(connection, { type: "error", code: "invalid_frame", message: "this socket only sends notifications; it takes no frames" });
    } else if (count.flood) {
      const { maxFrames, windowMs } = FRAME_RATE_LIMIT;
      sendTo(connection, { type: "error", code: "rate_limited", message: `too many frames: at most ${maxFrames} per ${windowMs / 1000} s; further frames in this window go unanswered` });
    }
  }

  /** Forgets a closed connection's frame count. */
  forget(connectionId: string): void {
    this.frameWindows.delete(connectionId);
  }

  /** Closes the connections matching `filter` with USER_SOCKET_ACCESS_CHANGED. Returns how many. */
  closeWhere(filter: UserSocketFilter, reason: string): number {
    let closed = 0;
    for (const connection of this.host.connections()) {
      const state = stateOf(connection);
      if (!state) continue;
      const matches = "userId" in filter ? state.userId === filter.userId : state.tokenId === filter.tokenId;
      if (!matches) continue;
      connection.close(USER_SOCKET_ACCESS_CHANGED, reason);
      closed++;
    }
    return closed;
  }
}

/** A connection's recorded state, or null for one never accepted. */
function stateOf(connection: Connection<unknown>): UserConnectionState | null {
  const parsed = userConnectionStateSchema.safeParse(connection.state);
  return parsed.success ? parsed.data : null;
}

/** Whether the token a connection was opened with expired by `nowMs` (epoch ms). */
function expired(state: UserConnectionState, nowMs: number): boolean {
  return state.expiresAt !== undefined && Date.parse(state.expiresAt) <= nowMs;
}

/** Sends one frame to one connection. */
function sendTo(connection: Connection, frame: UserServerFrame): void {
  connection.send(JSON.stringify(frame));
}

/** Whether `state`'s account is still active and its token or sign-in (`sgn_...`) still exists, read from D1. */
export async function userSocketStillAllowed(env: Env, state: UserConnectionState): Promise<boolean> {
  const credentialTable = state.tokenId.startsWith("sgn_") ? "sign_ins" : "api_tokens";
  const row = await env.DB.prepare(`SELECT u.status AS status, (SELECT COUNT(*) FROM ${credentialTable} WHERE id = ? AND user_id = u.id) AS credentials FROM users u WHERE u.id = ?`)
    .bind(state.tokenId, state.userId)
    .first<{ status: string; credentials: number }>();
  return row !== null && row.status === "active" && row.credentials > 0;
}
