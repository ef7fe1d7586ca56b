/**
 * Project membership in D1 (`project_members`): who is in a project and with which role. The
 * rules: only owners change membership (routes), and a project keeps at least one owner (here,
 * in one statement each, so two owners removing each other at once cannot leave none).
 */
import type { ProjectRole } from "../access.ts";

/** A member as `GET /api/projects/:projectId/members` lists them. `addedAt` ISO 8601. */
export interface ProjectMember {
  userId: string;
  name: string;
  role: ProjectRole;
  avatarUrl?: string;
  addedAt: string;
}

/** The project's members, owners first, then by when they were added. */
export async function listMembers(env: Env, projectId: string): Promise<ProjectMember[]> {
  const { results } = await env.DB.prepare(
    `SELECT m.user_id AS userId, u.name AS name, m.role AS role, u.avatar_url AS avatarUrl, m.created_at AS addedAt
     FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ?
     ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'member' THEN 1 ELSE 2 END, m.created_at, m.user_id`,
  )
    .bind(projectId)
    .all<Omit<ProjectMember, "avatarUrl"> & { avatarUrl: string | null }>();
  return results.map(({ avatarUrl, ...m }) => (avatarUrl ? { ...m, avatarUrl } : m));
}

/** The outcome of adding or changing a member. */
export type MemberChange = { ok: true; member: ProjectMember; added: boolean } | { ok: false; code: "not_found" | "last_owner"; message: string };

/**
 * Adds `userId` to the project with `role`, or changes the role of a member. Refuses an unknown
 * user, and demoting the last owner.
 */
export async function setMember(env: Env, projectId: string, userId: string, role: ProjectRole): Promise<MemberChange> {
  const user = await env.DB.prepare(`SELECT 1 AS ok FROM users WHERE id = ?`).bind(userId).first();
  if (!user) return { ok: false, code: "not_found", message: "no such user" };
  const now = new Date().toISOString();
  const inserted = await env.DB.prepare(`INSERT OR IGNORE INTO project_members (project_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`)
    .bind(projectId, userId, role, now)
    .run();
  const added = inserted.meta.changes > 0;
  if (!added) {
    // A demotion of the last owner changes nothing (the other owners are counted in the same statement).
    const updated = await env.DB.prepare(
      `UPDATE project_members SET role = ? WHERE project_id = ? AND user_id = ?
       AND (? = 'owner' OR role <> 'owner' OR (SELECT COUNT(*) FROM project_members WHERE project_id = ? AND role = 'owner') > 1)`,
    )
      .bind(role, projectId, userId, role, projectId)
      .run();
    if (updated.meta.changes === 0) return { ok: false, code: "last_owner", message: "a project keeps at least one owner" };
  }
  const member = (await listMembers(env, projectId)).find((m) => m.userId === userId);
  if (!member) return { ok: false, code: "not_found", message: "no such member" };
  return { ok: true, member, added };
}

/** The outcome of removing a member. */
export type MemberRemoval = { ok: true } | { ok: false; code: "not_found" | "last_owner"; message: string };

/** Removes `userId` from the project, unless they are its last owner. */
export async function removeMember(env: Env, projectId: string, userId: string): Promise<MemberRemoval> {
  const deleted = await env.DB.prepare(
    `DELETE FROM project_members WHERE project_id = ? AND user_id = ?
     AND (role <> 'owner' OR (SELECT COUNT(*) FROM project_members WHERE project_id = ? AND role = 'owner') > 1)`,
  )
    .bind(projectId, userId, projectId)
    .run();
  if (deleted.meta.changes > 0) return { ok: true };
  const still = await env.DB.prepare(`SELECT 1 AS ok FROM project_members WHERE project_id = ? AND user_id = ?`).bind(projectId, userId).first();
  return still ? { ok: false, code: "last_owner", message: "a project keeps at least one owner" } : { ok: false, code: "not_found", message: "no such member" };
}
