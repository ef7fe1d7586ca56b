/**
 * Project, session and message routes (issue 2's contract):
 * POST/GET /api/projects; POST/GET /api/projects/:projectId/sessions;
 * GET/POST /api/projects/:projectId/sessions/:sessionId/messages.
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { MAX_MESSAGE_CHARS, sessionKindSchema } from "../../shared/protocol.ts";
import { DEFAULT_MESSAGE_PAGE, MAX_MESSAGE_PAGE, projectSettingsPatchSchema, type ProjectSettings } from "../../shared/project-settings.ts";
import { newId, projectIdSchema, sessionIdSchema } from "../../ids.ts";
import { projectParam } from "../guards.ts";
import type { ProjectAccess } from "../access.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";
import { ModelUnavailableError, resolveModel } from "../../models/registry.ts";
import type { ScriptStep } from "../../shared/script.ts";
import type { RepositoryView } from "../../shared/repository.ts";

const createProjectSchema = z.object({ name: z.string().trim().min(1).max(200) });
const createSessionSchema = z.object({ title: z.string().trim().max(200).optional(), kind: sessionKindSchema.default("chat") });
const addPolicySchema = z.object({ text: z.string().trim().min(1).max(2000) });
const postMessageSchema = z.object({ text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS) });
const messagesQuerySchema = z.object({
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_MESSAGE_PAGE).default(DEFAULT_MESSAGE_PAGE),
});

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
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, createSessionSchema);
  if (!body.ok) return body.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  const session = await actor.createSession(body.value.title, body.value.kind);
  return c.json({ id: session.id, title: session.title, kind: session.kind, createdAt: session.createdAt }, 201);
});

projectRoutes.get("/api/projects/:projectId/sessions", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ sessions: await actor.listSessions() });
});

/** Resolves project and session; 404 when the session is not in the project. */
async function sessionParams(c: Context<AuthedEnv>, need: ProjectAccess) {
  const project = await projectParam(c, need);
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
  const params = await sessionParams(c, "read");
  if (!params.ok) return params.response;
  return c.json({ messages: await params.actor.listMessages(params.sessionId, query.value.before, query.value.limit) });
});

projectRoutes.post("/api/projects/:projectId/sessions/:sessionId/messages", requireUser, async (c) => {
  const params = await sessionParams(c, "write");
  if (!params.ok) return params.response;
  const body = await parseJsonBody(c, postMessageSchema);
  if (!body.ok) return body.response;
  const stored = await params.actor.postUserMessage(params.sessionId, { id: c.get("user").id, name: c.get("user").name }, body.value.text);
  if (!stored) return apiError(c, 404, "not_found", "no such session");
  return c.json(stored, 201);
});

/** A 400 response when `model` cannot run here (unknown, unconfigured, scripted without a script); else null. */
function modelRefusal(c: Context<AuthedEnv>, model: string, script: ScriptStep[] | undefined, projectId: string): Response | null {
  try {
    resolveModel(model, c.env, { userId: c.get("user").id, projectId }, script);
    return null;
  } catch (error) {
    if (error instanceof ModelUnavailableError) return apiError(c, 400, "model_unavailable", error.message);
    throw error;
  }
}

/** The project's name and settings (tech lead, limits). */
async function projectDetails(c: Context<AuthedEnv>, projectId: string) {
  const row = await c.env.DB.prepare(`SELECT id, name, created_at AS createdAt FROM projects WHERE id = ?`)
    .bind(projectId)
    .first<{ id: string; name: string; createdAt: string }>();
  const actor = await getAgentByName(c.env.ProjectAgent, projectId);
  const settings = (await actor.getSettings()) as ProjectSettings;
  const repository = (await actor.getRepository()) as RepositoryView | null;
  return { id: projectId, name: row?.name ?? "", createdAt: row?.createdAt ?? "", ...settings, repository };
}

projectRoutes.get("/api/projects/:projectId", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  return c.json(await projectDetails(c, project.projectId));
});

projectRoutes.patch("/api/projects/:projectId", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, projectSettingsPatchSchema);
  if (!body.ok) return body.response;
  if (body.value.repository !== undefined && project.role !== "owner") {
    return apiError(c, 403, "forbidden", `only the project's owners may change its repository (your role: ${project.role})`);
  }
  if (body.value.techLead) {
    const { model, script } = body.value.techLead;
    const refused = modelRefusal(c, model, script, project.projectId);
    if (refused) return refused;
  }
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  const { repository, ...settings } = body.value;
  await actor.updateSettings(settings);
  if (repository !== undefined) await actor.setRepository(repository);
  return c.json(await projectDetails(c, project.projectId));
});

projectRoutes.get("/api/projects/:projectId/policies", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ policies: await actor.listPolicies() });
});

projectRoutes.post("/api/projects/:projectId/policies", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, addPolicySchema);
  if (!body.ok) return body.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json(await actor.addPolicy(body.value.text, c.get("user").name), 201);
});
