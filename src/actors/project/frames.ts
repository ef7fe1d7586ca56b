/**
 * What the project's socket decides about a client's frame before acting on it, and the rules
 * for a connection's stored state (who it is, which tasks it watches). Pure: no `agents` import,
 * no storage; socket.ts applies these decisions to connections.
 */
import { z } from "zod";
import { clientFrameSchema, TOKEN_ID_HEADER, USER_ID_HEADER, USER_NAME_HEADER, USER_ROLE_HEADER, type ClientFrame, type FrameErrorCode } from "../../shared/protocol.ts";

/**
 * Who is on a connection, their role in the project (a connection from before roles existed was
 * its project's owner's: `member` rights) and the token it was opened with; kept in the
 * connection's attachment so it survives hibernation.
 */
export const connectionUserSchema = z.object({
  userId: z.string(),
  userName: z.string(),
  role: z.enum(["owner", "member", "viewer"]).default("member"),
  tokenId: z.string().optional(),
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
 * The user an upgrade request names in the headers only the Worker sets (USER_ID_HEADER,
 * USER_NAME_HEADER; it strips client-sent copies), or null when either is missing.
 */
export function userFromHeaders(headers: Headers): ConnectionUser | null {
  const user = connectionUserSchema.safeParse({
    userId: headers.get(USER_ID_HEADER),
    userName: headers.get(USER_NAME_HEADER),
    role: headers.get(USER_ROLE_HEADER) ?? undefined,
    tokenId: headers.get(TOKEN_ID_HEADER) ?? undefined,
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

/** The tasks a connection's stored `state` watches; none when the state is missing or malformed. */
export function watchedIn(state: unknown): ReadonlySet<string> {
  const parsed = connectionStateSchema.safeParse(state);
  return new Set(parsed.success ? parsed.data.watching : []);
}
