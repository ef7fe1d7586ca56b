/**
 * Worker entry: exports the actor classes, routes /api and the AI proxy (/ai) to the Hono app,
 * authenticates WebSocket upgrades before they reach a ProjectAgent, and serves the UI's static
 * assets with security headers.
 */
import { routeAgentRequest } from "agents";
import { projectRole } from "./api/access.ts";
import { createApiApp } from "./api/app.ts";
import { authenticate, credentialFromRequest } from "./api/auth.ts";
import { clientAddress } from "./api/people/throttle.ts";
import { withSecurityHeaders } from "./api/security-headers.ts";
import { projectIdSchema } from "./ids.ts";
import { TOKEN_ID_HEADER, USER_ID_HEADER, USER_NAME_HEADER, USER_ROLE_HEADER } from "./shared/protocol.ts";

export { MissionAgent } from "./actors/mission/mission-agent.ts";
export { ProjectAgent } from "./actors/project/project-agent.ts";
export { TaskAgent } from "./actors/task/task-agent.ts";
export { UserAgent } from "./actors/user/user-agent.ts";
export { Sandbox } from "@cloudflare/sandbox";

const api = createApiApp();

function jsonError(status: number, code: string, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/**
 * Only `/agents/project-agent/<projectId>` WebSocket upgrades are public. The caller must hold a
 * valid token of an active account and be a member of the project; a browser (one that sends
 * `Origin`) must come from SAM's own origin. The actor then learns who it is, their role and
 * their token's id from headers the Worker sets (any client-sent copies are dropped) and never
 * sees the token.
 */
async function handleAgentRequest(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const match = /^\/agents\/project-agent\/([^/]+)$/.exec(url.pathname);
  if (!match || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return jsonError(404, "not_found", "only project WebSockets are served under /agents");
  }
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) return jsonError(403, "forbidden", `WebSockets from ${origin} are not allowed`);
  const auth = await authenticate(env, credentialFromRequest(request, true), clientAddress(request));
  if (!auth.ok) return jsonError(auth.status, auth.code, auth.message, auth.status === 429 ? { "retry-after": String(auth.retryAfterSeconds) } : undefined);
  if (auth.user.status !== "active") return jsonError(403, auth.user.status === "pending" ? "account_pending" : "account_suspended", `your account is ${auth.user.status}`);
  const projectId = projectIdSchema.safeParse(decodeURIComponent(match[1]));
  const role = projectId.success ? await projectRole(env, auth.user.id, projectId.data) : null;
  if (!role) return jsonError(404, "not_found", "no such project");
  url.searchParams.delete("token");
  const headers = new Headers(request.headers);
  headers.delete("authorization");
  headers.set(USER_ID_HEADER, auth.user.id);
  headers.set(USER_NAME_HEADER, auth.user.name);
  headers.set(USER_ROLE_HEADER, role);
  headers.set(TOKEN_ID_HEADER, auth.user.tokenId);
  const forwarded = new Request(url, { method: request.method, headers });
  return (await routeAgentRequest(forwarded, env)) ?? jsonError(404, "not_found", "no such agent");
}

/** Whether every percent-escape of `pathname` decodes (a malformed one, `%ZZ`, is a 400 up front). */
function decodablePath(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    const served = pathname.startsWith("/agents/") || pathname.startsWith("/api/") || pathname === "/api" || pathname.startsWith("/ai/");
    if (served && !decodablePath(pathname)) return jsonError(400, "invalid_input", "the path has a malformed percent-encoding");
    if (pathname.startsWith("/agents/")) return handleAgentRequest(request, env);
    if (pathname.startsWith("/api/") || pathname === "/api") return api.fetch(request, env, ctx);
    if (pathname.startsWith("/ai/")) return api.fetch(request, env, ctx);
    if (env.ASSETS) return withSecurityHeaders(await env.ASSETS.fetch(request));
    return jsonError(404, "not_found", "not found");
  },
} satisfies ExportedHandler<Env>;
