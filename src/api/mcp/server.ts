/**
 * SAM's MCP server (issue 17): `/mcp`, Streamable HTTP, served with the Agents SDK's
 * `createMcpHandler` and an MCP SDK v2 `McpServer` made for each request (stateless: nothing
 * is kept between requests). Authenticated with a personal access token
 * (`Authorization: Bearer sam_pat_...`; no or a bad token: 401, a pending or suspended account:
 * 403, as on the API; embed tokens and browser sign-ins are refused), it acts with that user's
 * rights: a project they are not a member of is "not found", a viewer's write is refused — both
 * as MCP tool errors (`isError: true`), never as crashes.
 *
 * The tools are the platform tools' one definition each (src/tools/platform-tools.ts), their
 * inputs with `project_id` added and their top-level fields in snake_case (`task_id`; the
 * camelCase names are accepted too: input-names.ts), run by the project's actor (`ProjectAgent.runPlatformTool`);
 * plus `list_projects`. `?profile=workspace|orchestrate|full` narrows the list (profiles.ts).
 */
import { McpServer, type CallToolResult } from "@modelcontextprotocol/server";
import { getAgentByName } from "agents";
import { createMcpHandler } from "agents/mcp/server";
import { z } from "zod";
import { projectIdSchema } from "../../ids.ts";
import { platformTool } from "../../tools/platform-tools.ts";
import { projectRole, roleAllows } from "../access.ts";
import { authenticate, credentialFromRequest, inactiveCode, type AuthUser } from "../auth.ts";
import { clientAddress } from "../people/throttle.ts";
import { fromMcpArgs, mcpInputSchema } from "./input-names.ts";
import { MCP_PROFILES, profileOf, type McpProfile } from "./profiles.ts";

/** The MCP endpoint's path. */
export const MCP_PATH = "/mcp";

const SERVER_INSTRUCTIONS = `SAM (Simple Agent Manager) runs AI coding tasks and missions in projects.
Start with list_projects; every other tool takes the project's id as project_id.
dispatch_task starts a task (model "scripted" replays a script); follow it with get_task until its status is succeeded, failed or cancelled.`;

function jsonError(status: number, code: string, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/** A tool's JSON result as MCP content (pretty-printed JSON text). */
function toolResult(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value ?? null, null, 2) }] };
}

/** A tool error (`isError: true`) with `message` as its text. */
function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** Runs `work`, turning anything it throws into a tool error (logged; the client sees no internals). */
async function guarded(name: string, work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    console.error(`MCP tool ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return toolError(`${name} failed: internal error`);
  }
}

/** The projects `user` is a member of, newest first, with their role. */
async function listProjects(env: Env, user: AuthUser) {
  const { results } = await env.DB.prepare(
    `SELECT p.id AS id, p.name AS name, p.created_at AS createdAt, m.role AS role FROM projects p
     JOIN project_members m ON m.project_id = p.id WHERE m.user_id = ? ORDER BY p.created_at DESC`,
  )
    .bind(user.id)
    .all<{ id: string; name: string; createdAt: string; role: string }>();
  return { projects: results };
}

/** An `McpServer` with `profile`'s tools, acting as `user`. */
export function buildMcpServer(env: Env, user: AuthUser, profile: McpProfile): McpServer {
  const server = new McpServer({ name: "sam", version: "1.0.0" }, { instructions: SERVER_INSTRUCTIONS });
  for (const name of MCP_PROFILES[profile]) {
    if (name === "list_projects") {
      server.registerTool(
        name,
        { description: "The projects you are a member of (id, name, createdAt, your role), newest first. Other tools take a project's id as project_id.", inputSchema: z.object({}) },
        async () => guarded(name, async () => toolResult(await listProjects(env, user))),
      );
      continue;
    }
    const definition = platformTool(name);
    if (!definition) throw new Error(`no platform tool ${name}`);
    const named = mcpInputSchema(definition.input);
    const inputSchema = named.schema.safeExtend({ project_id: projectIdSchema.describe("The project's id (prj_...), from list_projects") });
    server.registerTool(
      name,
      {
        description: `${definition.description}${definition.access === "write" ? " Needs the owner or member role." : ""}`,
        inputSchema,
        annotations: { readOnlyHint: definition.access === "read" },
      },
      async (args: Record<string, unknown>) =>
        guarded(name, async () => {
          const { project_id: projectId, ...given } = args as { project_id: string } & Record<string, unknown>;
          const input = fromMcpArgs(given, named.renamed);
          const role = await projectRole(env, user.id, projectId);
          if (!role) return toolError(`no such project ${projectId} (not found)`);
          if (!roleAllows(role, definition.access)) return toolError(`forbidden: ${name} changes the project and viewers may only read (your role: ${role})`);
          const outcome = await (await getAgentByName(env.ProjectAgent, projectId)).runPlatformTool(name, input, { id: user.id, name: user.name });
          return "result" in outcome ? toolResult(outcome.result) : toolError(outcome.message);
        }),
    );
  }
  return server;
}

/**
 * Serves a request to `/mcp`: authenticates its bearer token, picks the profile, then hands it
 * to the Agents SDK's handler with a server made for this user. Refusals before MCP are JSON
 * API errors: 401 `unauthorized` (no, a bad or an embed token; a sign-in cookie is not enough),
 * 429 `rate_limited`, 403 `account_pending`/`account_suspended`, 400 `invalid_input` (an unknown profile).
 */
export async function handleMcpRequest(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const credential = credentialFromRequest(request, false);
  if (credential?.kind !== "token") return jsonError(401, "unauthorized", "a personal access token is required (Authorization: Bearer sam_pat_...)", { "www-authenticate": "Bearer" });
  const auth = await authenticate(env, credential, clientAddress(request));
  if (!auth.ok) return jsonError(auth.status, auth.code, auth.message, auth.status === 429 ? { "retry-after": String(auth.retryAfterSeconds) } : undefined);
  if (auth.user.status !== "active") return jsonError(403, inactiveCode(auth.user.status), `your account is ${auth.user.status}`);
  const profile = profileOf(new URL(request.url).searchParams.get("profile"));
  if (!profile) return jsonError(400, "invalid_input", `profile: expected one of ${Object.keys(MCP_PROFILES).join(", ")}`);
  const user = auth.user;
  return createMcpHandler(() => buildMcpServer(env, user, profile), { route: MCP_PATH })(request, env, ctx);
}
