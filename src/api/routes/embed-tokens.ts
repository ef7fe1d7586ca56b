/**
 * Embed tokens (issue 13): a project's owners and members mint a short-lived token for another
 * app's visitor — capabilities, optionally one chat session, the origins whose pages may use it
 * — list them (no secret) and revoke them (at once: the sockets opened with one close).
 */
import { getAgentByName } from "agents";
import { Hono } from "hono";
import { z } from "zod";
import { embedTokenIdSchema, sessionIdSchema } from "../../ids.ts";
import { embedCapabilitySchema, MAX_EMBED_MINUTES, originSchema } from "../../shared/embed.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { projectParam } from "../guards.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";
import { createEmbedToken, deleteEmbedToken, listEmbedTokens } from "../people/embed-tokens.ts";

/** `POST /api/projects/:projectId/embed-tokens`. */
export const embedTokenRequestSchema = z.object({
  name: z.string().trim().min(1).max(100),
  capabilities: z.array(embedCapabilitySchema).min(1).max(4),
  sessionId: sessionIdSchema.optional(),
  origins: z.array(originSchema).min(1).max(20),
  expiresInMinutes: z.number().int().min(1).max(MAX_EMBED_MINUTES),
});

/** Routes under /api/projects/:projectId/embed-tokens. */
export const embedTokenRoutes = new Hono<AuthedEnv>();

embedTokenRoutes.post("/api/projects/:projectId/embed-tokens", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, embedTokenRequestSchema);
  if (!body.ok) return body.response;
  if (body.value.sessionId && !(await (await getAgentByName(c.env.ProjectAgent, project.projectId)).hasSession(body.value.sessionId))) {
    return apiError(c, 400, "invalid_input", "sessionId: no such session in this project");
  }
  return c.json(await createEmbedToken(c.env, project.projectId, c.get("user").id, body.value), 201);
});

embedTokenRoutes.get("/api/projects/:projectId/embed-tokens", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  return c.json({ embedTokens: await listEmbedTokens(c.env, project.projectId) });
});

embedTokenRoutes.delete("/api/projects/:projectId/embed-tokens/:embedTokenId", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const id = parseValue(c, embedTokenIdSchema, c.req.param("embedTokenId"));
  if (!id.ok) return id.response;
  if (!(await deleteEmbedToken(c.env, project.projectId, id.value))) return apiError(c, 404, "not_found", "no such embed token");
  await (await getAgentByName(c.env.ProjectAgent, project.projectId)).closeConnections({ tokenId: id.value }, "embed token revoked");
  return c.body(null, 204);
});
