/**
 * Closing the open project sockets of someone whose access changed: a suspended account, a
 * revoked token, a member removed or given another role. Each project actor closes its own
 * matching connections (ProjectAgent.closeConnections), and for an account or credential change
 * the user's own socket closes too (UserAgent.closeConnections); a client that reconnects is
 * checked afresh.
 */
import { getAgentByName } from "agents";
import { userAgentStub } from "../../models/user-actor.ts";
import { projectsOf } from "./users.ts";

/** What to close: all of a user's sockets, or those opened with one token. */
export type SocketFilter = { userId: string } | { tokenId: string };

/**
 * Closes `filter`'s sockets in `projectIds` (default: every project `userId` is a member of, and
 * then also the user's own socket, `/agents/user-agent/<userId>`: an account or credential
 * change, not a project's). Returns how many were closed. An actor that cannot be reached is
 * logged and skipped (its sockets re-check nothing until they reconnect, so the caller's change
 * has already been stored).
 */
export async function closeSockets(env: Env, userId: string, filter: SocketFilter, reason: string, projectIds?: string[]): Promise<number> {
  const own = projectIds ? 0 : await closeUserSockets(env, userId, filter, reason);
  return own + (await closeProjectSockets(env, userId, filter, reason, projectIds));
}

/** Closes `filter`'s sockets on the user's own actor (their notifications). Returns how many; 0 (logged) when it cannot be reached. */
async function closeUserSockets(env: Env, userId: string, filter: SocketFilter, reason: string): Promise<number> {
  try {
    return await (await userAgentStub(env, userId)).closeConnections(filter, reason);
  } catch (error) {
    console.error(`closing the user socket of ${userId} failed: ${String(error)}`);
    return 0;
  }
}

/** Closes `filter`'s project sockets (see closeSockets). */
async function closeProjectSockets(env: Env, userId: string, filter: SocketFilter, reason: string, projectIds?: string[]): Promise<number> {
  const projects = projectIds ?? (await projectsOf(env, userId));
  const closed = await Promise.all(
    projects.map(async (projectId) => {
      try {
        return await (await getAgentByName(env.ProjectAgent, projectId)).closeConnections(filter, reason);
      } catch (error) {
        console.error(`closing sockets of ${userId} in ${projectId} failed: ${String(error)}`);
        return 0;
      }
    }),
  );
  return closed.reduce((a, b) => a + b, 0);
}
