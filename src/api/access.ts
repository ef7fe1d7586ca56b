/**
 * Authorization: what a user may do to a project, answered from D1's membership index
 * (docs/architecture.md §1, §5). A project a user is not a member of is reported as absent (404),
 * never as forbidden; a member whose role does not allow the act gets 403 `forbidden`.
 *
 * Roles (issue 13): an `owner` may do everything, including managing members; a `member` may
 * read and write (chat, tasks, missions, settings, answers); a `viewer` may only read.
 */
import { z } from "zod";

/** A member's role in a project. */
export const projectRoleSchema = z.enum(["owner", "member", "viewer"]);
export type ProjectRole = z.infer<typeof projectRoleSchema>;

/** What an act needs: reading the project, writing to it, or owning it (members). */
export type ProjectAccess = "read" | "write" | "own";

/** Whether `role` may do an act that needs `need`. Pure. */
export function roleAllows(role: ProjectRole, need: ProjectAccess): boolean {
  if (need === "read") return true;
  if (need === "write") return role !== "viewer";
  return role === "owner";
}

/** `userId`'s role in `projectId`, or null when they are not a member (or there is no such project). */
export async function projectRole(env: Env, userId: string, projectId: string): Promise<ProjectRole | null> {
  const row = await env.DB.prepare(`SELECT role FROM project_members WHERE project_id = ? AND user_id = ?`).bind(projectId, userId).first<{ role: string }>();
  const role = projectRoleSchema.safeParse(row?.role);
  return role.success ? role.data : null;
}

/** Whether `userId` is a member of `projectId` (any role). */
export async function canAccessProject(env: Env, userId: string, projectId: string): Promise<boolean> {
  return (await projectRole(env, userId, projectId)) !== null;
}

/** A project a user may see, with their role in it. */
export interface ProjectMembership {
  projectId: string;
  role: ProjectRole;
}

/** The project of `taskId` with `userId`'s role in it, or null when they may not see it. */
export async function projectOfTaskFor(env: Env, userId: string, taskId: string): Promise<ProjectMembership | null> {
  const row = await env.DB.prepare(
    `SELECT t.project_id AS projectId, m.role AS role FROM tasks t JOIN project_members m ON m.project_id = t.project_id WHERE t.id = ? AND m.user_id = ?`,
  )
    .bind(taskId, userId)
    .first<{ projectId: string; role: string }>();
  return membership(row);
}

/** The project of `missionId` with `userId`'s role in it, or null when they may not see it. */
export async function projectOfMissionFor(env: Env, userId: string, missionId: string): Promise<ProjectMembership | null> {
  const row = await env.DB.prepare(
    `SELECT s.project_id AS projectId, m.role AS role FROM missions s JOIN project_members m ON m.project_id = s.project_id WHERE s.id = ? AND m.user_id = ?`,
  )
    .bind(missionId, userId)
    .first<{ projectId: string; role: string }>();
  return membership(row);
}

function membership(row: { projectId: string; role: string } | null): ProjectMembership | null {
  const role = projectRoleSchema.safeParse(row?.role);
  return row && role.success ? { projectId: row.projectId, role: role.data } : null;
}
