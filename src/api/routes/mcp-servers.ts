/**
 * A project's MCP servers (issue 17): owners and members register one (`{name, url, headers?}`;
 * header values are secrets, sealed by the project actor and never returned) and remove one;
 * every member may list them (header names only). Their tools reach the project's tasks and its
 * tech lead as `mcp__<name>__<tool>` (src/actors/task/mcp.ts, src/actors/project/lead-mcp-tools.ts).
 */
import { getAgentByName } from "agents";
import { Hono } from "hono";
import { mcpServerIdSchema } from "../../ids.ts";
import { mcpServerCreateSchema, mcpUrlRefusal } from "../../shared/mcp-servers.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { projectParam } from "../guards.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";

/** Routes under /api/projects/:projectId/mcp-servers. */
export const mcpServerRoutes = new Hono<AuthedEnv>();

mcpServerRoutes.post("/api/projects/:projectId/mcp-servers", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, mcpServerCreateSchema);
  if (!body.ok) return body.response;
  const refusal = mcpUrlRefusal(body.value.url, c.env.SAM_MODE === "local");
  if (refusal) return apiError(c, 400, "invalid_input", `url: ${refusal}`);
  const added = await (await getAgentByName(c.env.ProjectAgent, project.projectId)).registerProjectMcpServer(body.value, c.get("user").id);
  if (added.ok) return c.json(added.server, 201);
  return added.code === "conflict" ? apiError(c, 409, "conflict", added.message) : apiError(c, 503, "encryption_unavailable", added.message);
});

mcpServerRoutes.get("/api/projects/:projectId/mcp-servers", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  return c.json({ servers: await (await getAgentByName(c.env.ProjectAgent, project.projectId)).listProjectMcpServers() });
});

mcpServerRoutes.delete("/api/projects/:projectId/mcp-servers/:serverId", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const serverId = parseValue(c, mcpServerIdSchema, c.req.param("serverId"));
  if (!serverId.ok) return serverId.response;
  const deleted = await (await getAgentByName(c.env.ProjectAgent, project.projectId)).deleteProjectMcpServer(serverId.value);
  if (!deleted) return apiError(c, 404, "not_found", "no such MCP server in this project");
  return c.body(null, 204);
});
