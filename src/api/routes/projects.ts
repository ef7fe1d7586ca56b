/**
 * Project, session and message routes (issue 2's contract):
 * POST/GET /api/projects; POST/GET /api/projects/:projectId/sessions;
 * GET/POST /api/projects/:projectId/sessions/:sessionId/messages.
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { MAX_MESSAGE_CHARS } from "../../actors/protocol.ts";
import { DEFAULT_MESSAGE_PAGE, MAX_MESSAGE_PAGE } from "../../actors/project-agent.ts";
import { newId, projectIdSchema, sessionIdSchema } from "../../ids.ts";
import { canAccessProject } from "../access.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";

const createProjectSchema = z.object({ name: z.string().trim().min(1).max(200) });
const createSessionSchema = z.object({ title: z.string().trim().max(200).optional() });
const postMessageSchema = z.object({ text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS) });
const messagesQuerySchema = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_MESSAGE_PAGE).default(DEFAULT_MESSAGE_PAGE),
});

/**
 * Resolves `:projectId` for the signed-in user: a 400 for a malformed id, a 404 when the
 * project does not exist or is not theirs. Returns the id or the response to send.
 */
export async function projectParam(c: Context<AuthedEnv>): Promise<{ ok: true; projectId: string } | { ok: false; response: Response }> {
  const parsed = parseValue(c, projectIdSchema, c.req.param("projectId"));
  if (!parsed.ok) return parsed;
  if (!(await canAccessProject(c.env, c.get("user").id, parsed.value))) {
    return { ok: false, response: apiError(c, 404, "not_found", "no such project") };
  }
  return { ok: true, projectId: parsed.value };
}

/** Routes under /api/projects. */
export const projectRoutes = new Hono<AuthedEnv>();

projectRoutes.post("/api/projects", requireUser, async (c) => {
  const body = await parseJsonBody(c, createProjectSchema);
  if (!body.ok) return body.response;
  const user = c.get("user");
  const project = { id: newId("project"), name: body.value.name, createdAt: new Date().toISOString() };
  await c.env.DB.batch([
    c.env.DB.prepare(`INSERT INTO projects (id, owner_id, name, created_at) VALUES (?, ?, ?, ?)`).bind(project.id, user.id, project.name, project.createdAt),
    c.env.DB.prepare(`INSERT INTO project_members (project_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)`).bind(project.id, user.id, project.createdAt),
  ]);
  const actor = await getAgentByName(c.env.ProjectAgent, project.id);
  await actor.init({ ...project, ownerId: user.id });
  return c.json(project, 201);
});

projectRoutes.get("/api/projects", requireUser, async (c) => {
  const { results } = await c.env.DB.prepare(
    `SELECT p.id AS id, p.name AS name, p.created_at AS createdAt FROM projects p
     JOIN project_members m ON m.project_id = p.id WHERE m.user_id = ? ORDER BY p.created_at DESC`,
  )
    .bind(c.get("user").id)
    .all<{ id: string; name: string; createdAt: string }>();
  return c.json({ projects: results });
});

projectRoutes.post("/api/projects/:projectId/sessions", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, createSessionSchema);
  if (!body.ok) return body.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  const session = await actor.createSession(body.value.title);
  return c.json({ id: session.id, title: session.title, createdAt: session.createdAt }, 201);
});

projectRoutes.get("/api/projects/:projectId/sessions", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ sessions: await actor.listSessions() });
});

/** Resolves project and session; 404 when the session is not in the project. */
async function sessionParams(c: Context<AuthedEnv>) {
  const project = await projectParam(c);
  if (!project.ok) return project;
  const session = parseValue(c, sessionIdSchema, c.req.param("sessionId"));
  if (!session.ok) return session;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  if (!(await actor.hasSession(session.value))) return { ok: false as const, response: apiError(c, 404, "not_found", "no such session") };
  return { ok: true as const, actor, sessionId: session.value };
}

projectRoutes.get("/api/projects/:projectId/sessions/:sessionId/messages", requireUser, async (c) => {
  const query = parseValue(c, messagesQuerySchema, c.req.query());
  if (!query.ok) return query.response;
  const params = await sessionParams(c);
  if (!params.ok) return params.response;
  return c.json({ messages: await params.actor.listMessages(params.sessionId, query.value.before, query.value.limit) });
});

projectRoutes.post("/api/projects/:projectId/sessions/:sessionId/messages", requireUser, async (c) => {
  const params = await sessionParams(c);
  if (!params.ok) return params.response;
  const body = await parseJsonBody(c, postMessageSchema);
  if (!body.ok) return body.response;
  const stored = await params.actor.postMessage(params.sessionId, { role: "user", author: c.get("user").name, text: body.value.text });
  if (!stored) return apiError(c, 404, "not_found", "no such session");
  return c.json(stored, 201);
});
