/**
 * Who may talk to a project's tech lead, and as whom (pure; the Worker checks it at the upgrade
 * and the voice actor again when a call starts and at every turn): a member or owner talks as
 * themselves and pays for their turns; a viewer may not talk; an embed token's visitor may talk
 * with `chat:write` (until the token expires), paid by who minted the token, to a tech lead
 * without tools (its tools act on the whole project), in the token's session when it is bound
 * to one — as a visitor's typed message does on the project socket.
 */
import type { ConnectionUser } from "../project/frames.ts";
import type { ConnectionFilter } from "../project/socket.ts";

/**
 * Why `user` may not talk to the tech lead at `nowMs` (epoch ms), or null when they may. A
 * person's token that expired by `nowMs` (`expiresAt`, set by the Worker) ends their talking as
 * an embed token's expiry ends a visitor's.
 */
export function voiceRefusal(user: Pick<ConnectionUser, "role" | "embed" | "expiresAt">, nowMs: number): string | null {
  if (user.embed) {
    if (!user.embed.capabilities.includes("chat:write")) return "this embed token may not write to the chat, so it may not talk to the tech lead";
    if (Date.parse(user.embed.expiresAt) <= nowMs) return "the embed token has expired";
    return null;
  }
  if (user.expiresAt !== undefined && Date.parse(user.expiresAt) <= nowMs) return "the token has expired";
  return user.role === "viewer" ? "viewers may not talk to the tech lead" : null;
}

/** Who a voice connection's turns are by: the author in the chat, the payer, whether the tech lead may use its tools, and the session (null: the project's voice session). */
export interface Speaker {
  speaker: { id: string; name: string };
  payer: { id: string; name: string };
  leadTools: boolean;
  sessionId: string | null;
}

/** The speaker of a connection of `user` (see the module's comment). */
export function speakerOf(user: ConnectionUser): Speaker {
  const speaker = { id: user.userId, name: user.userName };
  if (!user.embed) return { speaker, payer: speaker, leadTools: true, sessionId: null };
  return { speaker, payer: { id: user.embed.payerId, name: user.userName }, leadTools: false, sessionId: user.embed.sessionId };
}

/** Whether a connection of `user` is one `filter` names: all of a user's (their embeds' included), or those opened with one token (as the project socket's `closeWhere`). */
export function connectionMatches(user: ConnectionUser, filter: ConnectionFilter): boolean {
  return "userId" in filter ? user.userId === filter.userId || user.embed?.payerId === filter.userId : user.tokenId === filter.tokenId;
}
