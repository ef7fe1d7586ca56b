/**
 * The global D1 indexes (docs/architecture.md §1) that actors and routes write: which project a task, a trigger or a
 * mission belongs to, so routes can check access without asking every actor. Writes are
 * idempotent (`INSERT OR IGNORE`), so a retried start or creation is harmless.
 */

/** Records that `taskId` belongs to `projectId`. */
export async function registerTask(env: Env, taskId: string, projectId: string): Promise<void> {
  await env.DB.prepare(`INSERT OR IGNORE INTO tasks (id, project_id, created_at) VALUES (?, ?, ?)`).bind(taskId, projectId, new Date().toISOString()).run();
}

/** Records that each of `taskIds` belongs to `projectId`, in one batch. */
export async function registerTasks(env: Env, taskIds: string[], projectId: string): Promise<void> {
  if (taskIds.length === 0) return;
  const now = new Date().toISOString();
  const insert = env.DB.prepare(`INSERT OR IGNORE INTO tasks (id, project_id, created_at) VALUES (?, ?, ?)`);
  await env.DB.batch(taskIds.map((id) => insert.bind(id, projectId, now)));
}

/** Records that `missionId` belongs to `projectId`. */
export async function registerMission(env: Env, missionId: string, projectId: string): Promise<void> {
  await env.DB.prepare(`INSERT OR IGNORE INTO missions (id, project_id, created_at) VALUES (?, ?, ?)`).bind(missionId, projectId, new Date().toISOString()).run();
}

/** Records that trigger `triggerId` belongs to `projectId` (so `POST /hooks/<triggerId>` finds its project). */
export async function registerTrigger(env: Env, triggerId: string, projectId: string): Promise<void> {
  await env.DB.prepare(`INSERT OR IGNORE INTO triggers (id, project_id, created_at) VALUES (?, ?, ?)`).bind(triggerId, projectId, new Date().toISOString()).run();
}

/** Forgets trigger `triggerId` (deleted): its webhook URL then answers 404 without waking its project. */
export async function unregisterTrigger(env: Env, triggerId: string): Promise<void> {
  await env.DB.prepare(`DELETE FROM triggers WHERE id = ?`).bind(triggerId).run();
}

/** The project trigger `triggerId` belongs to, or null when there is no such trigger. */
export async function projectOfTrigger(env: Env, triggerId: string): Promise<string | null> {
  const row = await env.DB.prepare(`SELECT project_id AS projectId FROM triggers WHERE id = ?`).bind(triggerId).first<{ projectId: string }>();
  return row?.projectId ?? null;
}
