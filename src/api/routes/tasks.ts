/**
 * Task routes (issue 2's contract): start and list a project's tasks; read a task, its
 * transcript, its workspace files and its diff (issue 15); cancel it.
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { taskRequestSchema } from "../../shared/task-spec.ts";
import { launchTask, LaunchRefusedError } from "../../actors/launch.ts";
import { taskIdSchema } from "../../ids.ts";
import { projectParam, taskParam } from "../guards.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";

const textBodySchema = z.object({ text: z.string().trim().min(1).max(10_000) });

const transcriptQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});

/** Routes under /api/projects/:projectId/tasks and /api/tasks. */
export const taskRoutes = new Hono<AuthedEnv>();

taskRoutes.post("/api/projects/:projectId/tasks", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, taskRequestSchema);
  if (!body.ok) return body.response;
  try {
    const view = await launchTask({ env: c.env, projectId: project.projectId, userId: c.get("user").id }, body.value);
    return c.json({ id: view.id, status: view.status }, 201);
  } catch (error) {
    // Refused before anything was created.
    if (error instanceof LaunchRefusedError) return apiError(c, error.status, error.code, error.message);
    throw error;
  }
});

taskRoutes.get("/api/projects/:projectId/tasks", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ tasks: await actor.listTasks() });
});

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
  const task = await taskParam(c, "write");
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

taskRoutes.get("/api/tasks/:taskId/diff", requireUser, async (c) => {
  const task = await taskParam(c);
  if (!task.ok) return task.response;
  const result = await task.actor.diff();
  if (result.ok) return c.json({ diff: result.diff, changedFiles: result.changedFiles });
  if (result.code === "no_workspace") return apiError(c, 409, "workspace_unavailable", result.message);
  return apiError(c, 503, "workspace_unavailable", result.message);
});

taskRoutes.post("/api/tasks/:taskId/answer", requireUser, async (c) => {
  const task = await taskParam(c, "write");
  if (!task.ok) return task.response;
  const body = await parseJsonBody(c, textBodySchema);
  if (!body.ok) return body.response;
  const result = await task.actor.answer(body.value.text, c.get("user").name);
  if (!result.ok) return apiError(c, 409, "conflict", result.message);
  return c.json(result.task);
});

taskRoutes.post("/api/tasks/:taskId/messages", requireUser, async (c) => {
  const task = await taskParam(c, "write");
  if (!task.ok) return task.response;
  const body = await parseJsonBody(c, textBodySchema);
  if (!body.ok) return body.response;
  const result = await task.actor.sendMessage(body.value.text, c.get("user").name);
  if (!result.ok) return apiError(c, 409, "conflict", result.message);
  return c.json({ delivered: true }, 202);
});
