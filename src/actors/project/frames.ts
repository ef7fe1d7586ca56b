/**
 * What the project's socket decides about a client's frame before acting on it (how many frames
 * a connection may send, what a frame is), and the rules for a connection's stored state (who it
 * is, which tasks it watches). Pure: no `agents` import, no storage; socket.ts applies these
 * decisions to connections.
 */
import { z } from "zod";
import { EMBED_HEADER, embedGrantSchema, type EmbedCapability } from "../../shared/embed.ts";
import { clientFrameSchema, CREDENTIAL_EXPIRES_HEADER, TOKEN_ID_HEADER, USER_ID_HEADER, USER_NAME_HEADER, USER_ROLE_HEADER, type ClientFrame, type FrameErrorCode, type ServerFrame, type Welcome } from "../../shared/protocol.ts";

/**
 * Who is on a connection, their role in the project (a connection from before roles existed was
 * its project's owner's: `member` rights) and the token it was opened with; kept in the
 * connection's attachment so it survives hibernation. A socket of an embed token has `embed`
 * (what the token allows); its `userId` and `tokenId` are the token's id, `userName` its name.
 */
export const connectionUserSchema = z.object({
  userId: z.string(),
  userName: z.string(),
  role: z.enum(["owner", "member", "viewer"]).default("member"),
  tokenId: z.string().optional(),
  /** When a person's token expires (ISO 8601): the socket closes then. Absent: it does not expire (a sign-in, a token without expiry). */
  expiresAt: z.string().optional(),
  embed: embedGrantSchema.optional(),
});
/** A connection's stored state: who it is, and the tasks whose events it receives (`task.watch`). */
export const connectionStateSchema = connectionUserSchema.extend({ watching: z.array(z.string()).default([]) });
/** A connection's stored state (see `connectionStateSchema`). */
export type ConnectionState = z.infer<typeof connectionStateSchema>;
/** Who is on a connection (see `connectionUserSchema`). */
export type ConnectionUser = z.infer<typeof connectionUserSchema>;

/**
 * What to do with a message received on the socket: act on a valid `frame`, `ignore` a frame of
 * the Agents SDK's own protocol (type `cf_agent_*`, which the SDK handles), or answer with an
 * `error` frame of `code` and `message`.
 */
export type FrameDecision = { kind: "frame"; frame: ClientFrame } | { kind: "ignore" } | { kind: "error"; code: FrameErrorCode; message: string };

/**
 * Decides what a raw WebSocket message is: binary data is `invalid_frame`, text that is not JSON
 * is `invalid_json`, an SDK frame is ignored, JSON that fails `clientFrameSchema` is
 * `invalid_frame` (with zod's readable account of why; e.g. a `task.watch` of more than
 * MAX_WATCHED_TASKS ids), anything else is the frame.
 */
export function parseClientFrame(raw: string | ArrayBuffer | ArrayBufferView): FrameDecision {
  if (typeof raw !== "string") return { kind: "error", code: "invalid_frame", message: "frames are JSON text" };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { kind: "error", code: "invalid_json", message: "the frame is not valid JSON" };
  }
  if (typeof json === "object" && json !== null && "type" in json && typeof json.type === "string" && json.type.startsWith("cf_agent")) return { kind: "ignore" };
  const frame = clientFrameSchema.safeParse(json);
  if (!frame.success) return { kind: "error", code: "invalid_frame", message: z.prettifyError(frame.error) };
  return { kind: "frame", frame: frame.data };
}

/**
 * Who an upgrade request is, from the headers only the Worker sets (it strips client-sent
 * copies): an embed token's socket (EMBED_HEADER), else a user (USER_ID_HEADER, USER_NAME_HEADER,
 * USER_ROLE_HEADER, TOKEN_ID_HEADER); null when they are missing or malformed.
 */
export function userFromHeaders(headers: Headers): ConnectionUser | null {
  const embedJson = headers.get(EMBED_HEADER);
  if (embedJson !== null) {
    let grant;
    try {
      grant = embedGrantSchema.safeParse(JSON.parse(embedJson));
    } catch {
      return null;
    }
    return grant.success ? { userId: grant.data.id, userName: grant.data.name, role: "viewer", tokenId: grant.data.id, embed: grant.data } : null;
  }
  const user = connectionUserSchema.safeParse({
    userId: headers.get(USER_ID_HEADER),
    userName: headers.get(USER_NAME_HEADER),
    role: headers.get(USER_ROLE_HEADER) ?? undefined,
    tokenId: headers.get(TOKEN_ID_HEADER) ?? undefined,
    expiresAt: headers.get(CREDENTIAL_EXPIRES_HEADER) ?? undefined,
  });
  return user.success ? user.data : null;
}

/**
 * The state a connection takes on `task.watch`: its user, watching exactly the distinct
 * `taskIds` in first-seen order (the list replaces the previous one; an empty list stops every
 * task's events). The frame schema has already capped the list at MAX_WATCHED_TASKS.
 */
export function watchState(user: ConnectionUser, taskIds: readonly string[]): ConnectionState {
  return { ...user, watching: [...new Set(taskIds)] };
}

/**
 * How many frames one connection may send per window: 300 per 10 s (30 a second sustained). A
 * person sends far fewer (a chat message every few seconds at most, a `task.watch` per task they
 * open, a burst of a few when a page reconnects), and a program posting to the chat (an embed,
 * a bot, the chat benchmark's senders: 220 frames each in one burst) stays under it; a flood —
 * thousands a second — is cut to this. Every frame a client sends counts, the
 * Agents SDK's own (`rpc`, `cf_agent_*`) included: each is work for the project's one thread, and
 * a failed RPC also writes a log line.
 */
export const FRAME_RATE_LIMIT = { maxFrames: 300, windowMs: 10_000 } as const;

/** A connection's frames in its current window: when the window began (epoch ms) and how many came in it. */
export interface FrameWindow {
  startedAtMs: number;
  frames: number;
}

/**
 * What to do with a frame: `allowed` (act on it) or not (answer `rate_limited` and drop it);
 * `flood` is true for the first dropped frame of a window only (the one to log).
 */
export interface FrameCount {
  /** The connection's window after this frame (keep it for the next). */
  window: FrameWindow;
  allowed: boolean;
  flood: boolean;
}

/**
 * Counts a connection's frame arriving at `nowMs` (epoch ms) against `limit`, in fixed windows:
 * a window begins with the first frame after the previous one ended (`windowMs` after it began)
 * and holds `maxFrames` frames; the frames after those, until it ends, are refused. A clock that
 * went back starts a new window. `window` is the connection's window so far (none before its first frame).
 */
export function countFrame(window: FrameWindow | undefined, nowMs: number, limit: { maxFrames: number; windowMs: number } = FRAME_RATE_LIMIT): FrameCount {
  if (!window || nowMs - window.startedAtMs >= limit.windowMs || nowMs < window.startedAtMs) {
    return { window: { startedAtMs: nowMs, frames: 1 }, allowed: true, flood: false };
  }
  const frames = window.frames + 1;
  return { window: { startedAtMs: window.startedAtMs, frames }, allowed: frames <= limit.maxFrames, flood: frames === limit.maxFrames + 1 };
}

/** Whether an embed `grant` allows `capability` (in `sessionId`, when the grant is bound to one session). */
function embedAllows(user: ConnectionUser, capability: EmbedCapability, sessionId?: string): boolean {
  const grant = user.embed;
  if (!grant) return true;
  if (!grant.capabilities.includes(capability)) return false;
  return sessionId === undefined || grant.sessionId === null || grant.sessionId === sessionId;
}

/**
 * Whether a connection may act on `frame`, or the error frame's code and message when not:
 * `chat.send` needs a writer (not a viewer; an embed with `chat:write`, in its session);
 * `task.watch` an embed with `tasks:read`; `task.answer` a writer (an embed with `tasks:write`);
 * `chat.history` anyone of the project (an embed with `chat:read`, in its session); `task.list`
 * anyone (an embed with `tasks:read`). Pure.
 */
export function mayAct(user: ConnectionUser, frame: ClientFrame): { ok: true } | { ok: false; code: FrameErrorCode; message: string } {
  const refuse = (message: string) => ({ ok: false as const, code: "forbidden" as const, message });
  switch (frame.type) {
    case "chat.send":
      if (user.embed) return embedAllows(user, "chat:write", frame.sessionId) ? { ok: true } : refuse("this embed token may not write to this chat");
      return user.role === "viewer" ? refuse("viewers may only read") : { ok: true };
    case "task.watch":
      return embedAllows(user, "tasks:read") ? { ok: true } : refuse("this embed token may not read tasks");
    case "task.answer":
      if (user.embed) return embedAllows(user, "tasks:write") ? { ok: true } : refuse("this embed token may not act on tasks");
      return user.role === "viewer" ? refuse("viewers may only read") : { ok: true };
    case "chat.history":
      return embedAllows(user, "chat:read", frame.sessionId) ? { ok: true } : refuse("this embed token may not read this chat");
    case "task.list":
      return embedAllows(user, "tasks:read") ? { ok: true } : refuse("this embed token may not read tasks");
  }
}

/**
 * Whether a connection may receive `frame`: a person's socket gets everything; an embed's gets
 * the chat (`chat.message`, `chat.delta`, `chat.card`, `presence`) only with `chat:read` (and of
 * its session only, when bound to one), and tasks and missions (`task.updated`, `task.event`,
 * `mission.updated`) only with `tasks:read`; `error` frames and the answers sent to one
 * connection (`welcome`, and `chat.history` and `task.list`, which `mayAct` allowed) always. Pure.
 */
export function mayReceive(user: ConnectionUser, frame: ServerFrame): boolean {
  if (!user.embed) return true;
  switch (frame.type) {
    case "chat.message":
      return embedAllows(user, "chat:read", frame.message.sessionId);
    case "chat.delta":
    case "chat.card":
      return embedAllows(user, "chat:read", frame.sessionId);
    case "presence":
      return embedAllows(user, "chat:read");
    case "task.updated":
    case "task.event":
    case "mission.updated":
      return embedAllows(user, "tasks:read");
    case "error":
    case "welcome":
    case "chat.history":
    case "task.list":
      return true;
  }
}

/**
 * The `welcome` frame a connection gets first: who it is, its role, and for an embed token its
 * capabilities, its one session (or null) and its expiry; a person's have null there. Pure.
 */
export function welcomeFrame(user: ConnectionUser): Welcome {
  const embed = user.embed;
  return {
    type: "welcome",
    user: { id: user.userId, name: user.userName },
    role: user.role,
    capabilities: embed ? embed.capabilities : null,
    sessionId: embed ? embed.sessionId : null,
    expiresAt: embed ? embed.expiresAt : null,
  };
}

/**
 * When a connection's credential expires (epoch ms): an embed token's expiry, a person's
 * token's expiry, or null (a sign-in, a token without expiry).
 */
export function credentialExpiry(user: ConnectionUser): number | null {
  const at = user.embed?.expiresAt ?? user.expiresAt;
  if (at === undefined) return null;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? null : ms;
}

/** Whether a connection's credential (an embed token, or a person's token) has expired at `nowMs` (epoch ms). */
export function credentialExpired(user: ConnectionUser, nowMs: number): boolean {
  const at = credentialExpiry(user);
  return at !== null && at <= nowMs;
}

/** Who is online: the distinct people (not embeds) among `users`, in first-seen order. Pure. */
export function presentUsers(users: Iterable<ConnectionUser>): { id: string; name: string }[] {
  const seen = new Map<string, string>();
  for (const user of users) if (!user.embed && !seen.has(user.userId)) seen.set(user.userId, user.userName);
  return [...seen].map(([id, name]) => ({ id, name }));
}
