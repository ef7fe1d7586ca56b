/**
 * Project members (issue 13): every member may list them; only owners add a person, change a
 * role or remove someone, and a project keeps at least one owner. Someone removed or given
 * another role has their open sockets to the project closed at once (they reconnect with their
 * new rights, or not at all).
 */
import { Hono } from "hono";
import { z } from "zod";
import { userIdSchema } from "../../ids.ts";
import { projectRoleSchema } from "../access.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { projectParam } from "../guards.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";
import { listMembers, removeMember, setMember } from "../people/members.ts";
import { closeSockets } from "../people/sockets.ts";

/** `POST /api/projects/:projectId/members`: who, and with which role. */
export const addMemberSchema = z.object({ userId: userIdSchema, role: projectRoleSchema });

/** Routes under /api/projects/:projectId/members. */
export const memberRoutes = new Hono<AuthedEnv>();

memberRoutes.get("/api/projects/:projectId/members", requireUser, async (c) => {
  const project = await projectParam(c, "read");
  if (!project.ok) return project.response;
  return c.json({ members: await listMembers(c.env, project.projectId) });
});

memberRoutes.post("/api/projects/:projectId/members", requireUser, async (c) => {
  const project = await projectParam(c, "own");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, addMemberSchema);
  if (!body.ok) return body.response;
  const change = await setMember(c.env, project.projectId, body.value.userId, body.value.role);
  if (!change.ok) return change.code === "not_found" ? apiError(c, 404, "not_found", change.message) : apiError(c, 409, "conflict", change.message);
  if (!change.added) await closeSockets(c.env, body.value.userId, { userId: body.value.userId }, "your role changed", [project.projectId]);
  return c.json(change.member, change.added ? 201 : 200);
});

memberRoutes.delete("/api/projects/:projectId/members/:userId", requireUser, async (c) => {
  const project = await projectParam(c, "own");
  if (!project.ok) return project.response;
  const userId = parseValue(c, userIdSchema, c.req.param("userId"));
  if (!userId.ok) return userId.response;
  const removal = await removeMember(c.env, project.projectId, userId.value);
  if (!removal.ok) return removal.code === "not_found" ? apiError(c, 404, "not_found", removal.message) : apiError(c, 409, "conflict", removal.message);
  await closeSockets(c.env, userId.value, { userId: userId.value }, "removed from the project", [project.projectId]);
  return c.body(null, 204);
});
