/**
 * Worker entry: exports the actor classes, routes /api and the AI proxy (/ai) to the Hono app,
 * authenticates WebSocket upgrades before they reach a ProjectAgent, and serves the UI's static
 * assets.
 */
import { routeAgentRequest } from "agents";
import { USER_ID_HEADER, USER_NAME_HEADER } from "./shared/protocol.ts";
import { canAccessProject } from "./api/access.ts";
import { createApiApp } from "./api/app.ts";
import { authenticate, tokenFromRequest } from "./api/auth.ts";
import { projectIdSchema } from "./ids.ts";

export { MissionAgent } from "./actors/mission/mission-agent.ts";
export { ProjectAgent } from "./actors/project/project-agent.ts";
export { TaskAgent } from "./actors/task/task-agent.ts";
export { UserAgent } from "./actors/user/user-agent.ts";
export { Sandbox } from "@cloudflare/sandbox";

const api = createApiApp();

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/**
 * Only `/agents/project-agent/<projectId>` WebSocket upgrades are public. The caller must hold a
 * valid token and be a member of the project; the actor then learns who it is from headers the
 * Worker sets (any client-sent copies are dropped) and never sees the token.
 */
async function handleAgentRequest(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const match = /^\/agents\/project-agent\/([^/]+)$/.exec(url.pathname);
  if (!match || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return jsonError(404, "not_found", "only project WebSockets are served under /agents");
  }
  const token = tokenFromRequest(request, true);
  const user = token ? await authenticate(env, token) : null;
  if (!user) return jsonError(401, "unauthorized", "a valid token is required");
  const projectId = projectIdSchema.safeParse(decodeURIComponent(match[1]));
  if (!projectId.success || !(await canAccessProject(env, user.id, projectId.data))) {
    return jsonError(404, "not_found", "no such project");
  }
  url.searchParams.delete("token");
  const headers = new Headers(request.headers);
  headers.delete("authorization");
  headers.set(USER_ID_HEADER, user.id);
  headers.set(USER_NAME_HEADER, user.name);
  const forwarded = new Request(url, { method: request.method, headers });
  return (await routeAgentRequest(forwarded, env)) ?? jsonError(404, "not_found", "no such agent");
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith("/agents/")) return handleAgentRequest(request, env);
    if (pathname.startsWith("/api/") || pathname === "/api") return api.fetch(request, env, ctx);
    if (pathname.startsWith("/ai/")) return api.fetch(request, env, ctx);
    if (env.ASSETS) return env.ASSETS.fetch(request);
    return jsonError(404, "not_found", "not found");
  },
} satisfies ExportedHandler<Env>;
