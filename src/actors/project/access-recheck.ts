/**
 * Whether a project socket's access still holds, read afresh from D1 when the connection is
 * accepted: the Worker checked it before forwarding the upgrade, but a removal, suspension or
 * revocation that closed the project's sockets in between would otherwise miss this one. And
 * closing the project's voice sockets when access changes.
 */
import { getAgentByName } from "agents";
import type { ConnectionState } from "./frames.ts";
import type { ConnectionFilter } from "./socket.ts";

/**
 * For a person: still a member of `projectId` with the same role, an active account, and the
 * token or sign-in the socket was opened with still exists; for an
 * embed's socket: its token still exists and its maker is still an active member who may write.
 * Returns false when access has changed since the Worker's check.
 */
export async function connectionStillAllowed(env: Env, projectId: string, user: ConnectionState): Promise<boolean> {
  if (user.embed) {
    const row = await env.DB.prepare(
      `SELECT 1 AS ok FROM embed_tokens e JOIN users u ON u.id = e.created_by JOIN project_members m ON m.user_id = u.id AND m.project_id = e.project_id
       WHERE e.id = ? AND e.project_id = ? AND u.status = 'active' AND m.role <> 'viewer'`,
    )
      .bind(user.embed.id, projectId)
      .first();
    return row !== null;
  }
  const credentialTable = user.tokenId?.startsWith("sgn_") ? "sign_ins" : "api_tokens";
  const row = await env.DB.prepare(
    `SELECT m.role AS role, u.status AS status, (SELECT COUNT(*) FROM ${credentialTable} WHERE id = ?) AS credentials
     FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ? AND m.user_id = ?`,
  )
    .bind(user.tokenId ?? "", projectId, user.userId)
    .first<{ role: string; status: string; credentials: number }>();
  return row !== null && row.status === "active" && row.role === user.role && (user.tokenId === undefined || row.credentials > 0);
}

/**
 * Closes the voice sockets (`TechLeadVoice`, keyed by the project's id) of those `filter`
 * names, with `reason`, as the project socket does for its own. Returns how many it closed (0,
 * logged, when the voice actor cannot be reached).
 */
export async function closeVoiceConnections(env: Env, projectId: string, filter: ConnectionFilter, reason: string): Promise<number> {
  try {
    return await (await getAgentByName(env.TechLeadVoice, projectId)).closeConnections(filter, reason);
  } catch (error) {
    console.error(`project ${projectId}: closing voice sockets failed: ${error instanceof Error ? error.message : String(error)}`);
    return 0;
  }
}
