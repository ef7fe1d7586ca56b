/**
 * Closing the open project sockets of someone whose access changed: a suspended account, a
 * revoked token, a member removed or given another role. Each project actor closes its own
 * matching connections (ProjectAgent.closeConnections); a client that reconnects is checked afresh.
 */
import { getAgentByName } from "agents";
import { projectsOf } from "./users.ts";

/** What to close: all of a user's sockets, or those opened with one token. */
export type SocketFilter = { userId: string } | { tokenId: string };

/**
 * Closes `filter`'s sockets in `projectIds` (default: every project `userId` is a member of).
 * Returns how many were closed. A project that cannot be reached is logged and skipped (its
 * sockets re-check nothing until they reconnect, so the caller's change has already been stored).
 */
export async function closeSockets(env: Env, userId: string, filter: SocketFilter, reason: string, projectIds?: string[]): Promise<number> {
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
