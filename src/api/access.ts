/**
 * Authorization: which projects and tasks a user may touch, answered from D1's membership index.
 * Anything the user may not see is reported as absent (404), never as forbidden.
 */

/** Whether `userId` is a member of `projectId`. */
export async function canAccessProject(env: Env, userId: string, projectId: string): Promise<boolean> {
  const row = await env.DB.prepare(`SELECT 1 AS ok FROM project_members WHERE project_id = ? AND user_id = ?`).bind(projectId, userId).first();
  return row !== null;
}

/** The project of `taskId` if `userId` may see it, else null. */
export async function projectOfTaskFor(env: Env, userId: string, taskId: string): Promise<string | null> {
  const row = await env.DB.prepare(
    `SELECT t.project_id AS projectId FROM tasks t JOIN project_members m ON m.project_id = t.project_id WHERE t.id = ? AND m.user_id = ?`,
  )
    .bind(taskId, userId)
    .first<{ projectId: string }>();
  return row?.projectId ?? null;
}

/** The project of `missionId` if `userId` may see it, else null. */
export async function projectOfMissionFor(env: Env, userId: string, missionId: string): Promise<string | null> {
  const row = await env.DB.prepare(
    `SELECT s.project_id AS projectId FROM missions s JOIN project_members m ON m.project_id = s.project_id WHERE s.id = ? AND m.user_id = ?`,
  )
    .bind(missionId, userId)
    .first<{ projectId: string }>();
  return row?.projectId ?? null;
}
