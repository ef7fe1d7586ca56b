/**
 * Task routes (issue 2's contract): start and list a project's tasks; read a task, its
 * transcript and its workspace files; cancel it.
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { taskRequestSchema } from "../../actors/task-agent.ts";
import { newId, taskIdSchema } from "../../ids.ts";
import { checkStart } from "../../models/gate.ts";
import { ModelUnavailableError, resolveModel } from "../../models/registry.ts";
import { projectOfTaskFor } from "../access.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";
import { projectParam } from "./projects.ts";

const transcriptQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});

/** Routes under /api/projects/:projectId/tasks and /api/tasks. */
export const taskRoutes = new Hono<AuthedEnv>();

taskRoutes.post("/api/projects/:projectId/tasks", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, taskRequestSchema);
  if (!body.ok) return body.response;
  const user = c.get("user");
  const id = newId("task");
  try {
    // Refuse a model that cannot run here before anything is created.
    resolveModel(body.value.model, c.env, { userId: user.id, projectId: project.projectId, taskId: id }, body.value.script);
  } catch (error) {
    if (error instanceof ModelUnavailableError) return apiError(c, 400, "model_unavailable", error.message);
    throw error;
  }
  // Users are warned before they start, not after: budgets, payer mode, the task's own budget.
  const start = await checkStart(c.env, { userId: user.id, projectId: project.projectId, modelId: body.value.model, budgetUsd: body.value.budgetUsd });
  if (!start.ok) return apiError(c, start.status, start.code, start.message);
  await c.env.DB.prepare(`INSERT INTO tasks (id, project_id, created_at) VALUES (?, ?, ?)`).bind(id, project.projectId, new Date().toISOString()).run();
  const task = await getAgentByName(c.env.TaskAgent, id);
  const view = await task.start({ ...body.value, budgetUsd: start.budgetUsd, id, projectId: project.projectId, userId: user.id });
  return c.json({ id: view.id, status: view.status }, 201);
});

taskRoutes.get("/api/projects/:projectId/tasks", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ tasks: await actor.listTasks() });
});

/** Resolves `:taskId` for the signed-in user: 400 if malformed, 404 if absent or not theirs. */
async function taskParam(c: Context<AuthedEnv>) {
  const parsed = parseValue(c, taskIdSchema, c.req.param("taskId"));
  if (!parsed.ok) return parsed;
  const projectId = await projectOfTaskFor(c.env, c.get("user").id, parsed.value);
  if (!projectId) return { ok: false as const, response: apiError(c, 404, "not_found", "no such task") };
  return { ok: true as const, taskId: parsed.value, actor: await getAgentByName(c.env.TaskAgent, parsed.value) };
}

taskRoutes.get("/api/tasks/:taskId", requireUser, async (c) => {
  const task = await taskParam(c);
  if (!task.ok) return task.response;
  const view = await task.actor.getView();
  if (!view) return apiError(c, 404, "not_found", "no such task");
  return c.json(view);
});

taskRoutes.get("/api/tasks/:taskId/transcript", requireUser, async (c) => {
  const query = parseValue(c, transcriptQuerySchema, c.req.query());
  if (!query.ok) return query.response;
  const task = await taskParam(c);
  if (!task.ok) return task.response;
  return c.json({ events: await task.actor.getTranscript(query.value.after, query.value.limit) });
});

taskRoutes.post("/api/tasks/:taskId/cancel", requireUser, async (c) => {
  const task = await taskParam(c);
  if (!task.ok) return task.response;
  return c.json(await task.actor.cancel());
});

taskRoutes.get("/api/tasks/:taskId/files/*", requireUser, async (c) => {
  const task = await taskParam(c);
  if (!task.ok) return task.response;
  const prefix = `/api/tasks/${task.taskId}/files/`;
  const path = decodeURIComponent(new URL(c.req.url).pathname.slice(prefix.length));
  if (!path) return apiError(c, 400, "invalid_input", "a file path is required");
  const file = await task.actor.readFile(path);
  if (file.ok) return c.text(file.content);
  if (file.code === "not_found") return apiError(c, 404, "not_found", file.message);
  if (file.code === "unavailable") return apiError(c, 503, "workspace_unavailable", file.message);
  return apiError(c, 400, "invalid_input", file.message);
});
