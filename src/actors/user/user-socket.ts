/**
 * The user's own WebSocket (`/agents/user-agent/<userId>`): the Worker lets only that user in
 * (their token or sign-in, an active account, SAM's own origin for a browser) and passes who they
 * are in headers it sets itself; this module accepts a connection only when those headers name
 * this actor's user, re-checks the account and credential in D1 once accepted (a revocation
 * between the Worker's check and this moment would otherwise miss it), sends frames
 * (`notification.new`, `notification.unread`: src/shared/protocol.ts `userServerFrameSchema`)
 * and closes connections whose access changed.
 */
import type { Connection, ConnectionContext } from "agents";
import { z } from "zod";
import { TOKEN_ID_HEADER, USER_ID_HEADER, type UserServerFrame } from "../../shared/protocol.ts";

/** Close code for an upgrade that did not come through the Worker's authentication (as the project socket's). */
export const USER_SOCKET_UNAUTHENTICATED = 4001;
/** Close code for a connection whose access changed (suspended, token revoked, signed out), as the project socket's. */
export const USER_SOCKET_ACCESS_CHANGED = 4003;

/** What a connection of the user's socket records: who opened it, with which token or sign-in. */
export const userConnectionStateSchema = z.object({ userId: z.string().min(1), tokenId: z.string().min(1) });
/** `{userId, tokenId}`; see {@link userConnectionStateSchema}. */
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
}

/** The user's socket. */
export class UserSocket {
  private readonly host: UserSocketHost;

  constructor(host: UserSocketHost) {
    this.host = host;
  }

  /**
   * Accepts `connection` when the Worker's headers name this actor's user (and a token), records
   * them in its state and sends it `notification.unread`; closes it with
   * USER_SOCKET_UNAUTHENTICATED otherwise. The access is re-checked right after.
   */
  connect(connection: Connection, context: ConnectionContext): void {
    const state = userConnectionStateSchema.safeParse({ userId: context.request.headers.get(USER_ID_HEADER), tokenId: context.request.headers.get(TOKEN_ID_HEADER) });
    if (!state.success || state.data.userId !== this.host.userId()) {
      connection.close(USER_SOCKET_UNAUTHENTICATED, "unauthenticated");
      return;
    }
    connection.setState(state.data);
    sendTo(connection, { type: "notification.unread", unreadCount: this.host.unreadCount() });
    void this.host.stillAllowed(state.data).then(
      (allowed) => {
        if (!allowed) connection.close(USER_SOCKET_ACCESS_CHANGED, "access changed");
      },
      (error: unknown) => console.error(`user socket: re-checking connection ${connection.id} failed: ${String(error)}`),
    );
  }

  /** Sends `frame` to every accepted connection of the user. */
  send(frame: UserServerFrame): void {
    const text = JSON.stringify(frame);
    for (const connection of this.host.connections()) {
      if (stateOf(connection)) connection.send(text);
    }
  }

  /** Answers a client's frame: this socket takes none (an `error` frame; the connection stays open). */
  refuseFrame(connection: Connection): void {
    sendTo(connection, { type: "error", code: "invalid_frame", message: "this socket only sends notifications; it takes no frames" });
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
