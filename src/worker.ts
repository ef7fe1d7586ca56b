/**
 * Worker entry: exports the actor classes, routes /api and the AI proxy (/ai) to the Hono app,
 * authenticates WebSocket upgrades before they reach a ProjectAgent, a TechLeadVoice or a
 * user's own UserAgent, and
 * serves the UI's static assets with security headers.
 */
import { routeAgentRequest } from "agents";
import { projectRole } from "./api/access.ts";
import { createApiApp } from "./api/app.ts";
import { authenticate, credentialFromRequest, inactiveCode, rateLimited } from "./api/auth.ts";
import { withSecurityHeaders } from "./api/security-headers.ts";
import { isEmbedScriptPath, serveEmbedScript } from "./api/embed-script.ts";
import { handleMcpRequest, MCP_PATH } from "./api/mcp/server.ts";
import { projectIdSchema, taskIdSchema, userIdSchema } from "./ids.ts";
import { findEmbedToken } from "./api/people/embed-tokens.ts";
import { clientAddress, recordFailure, throttled } from "./api/people/throttle.ts";
import type { ConnectionUser } from "./actors/project/frames.ts";
import { voiceRefusal } from "./actors/voice/access.ts";
import { EMBED_HEADER, EMBED_TOKEN_PREFIX, type EmbedGrant } from "./shared/embed.ts";
import { sweepAllVms } from "./actors/project/vm-reconcile.ts";
import { CREDENTIAL_EXPIRES_HEADER, TOKEN_ID_HEADER, USER_ID_HEADER, USER_NAME_HEADER, USER_ROLE_HEADER } from "./shared/protocol.ts";

export { MissionAgent } from "./actors/mission/mission-agent.ts";
export { ProjectAgent } from "./actors/project/project-agent.ts";
export { TaskAgent } from "./actors/task/task-agent.ts";
export { TechLeadVoice } from "./actors/voice/tech-lead-voice.ts";
export { UserAgent } from "./actors/user/user-agent.ts";
export { Sandbox } from "@cloudflare/sandbox";

const api = createApiApp();

function jsonError(status: number, code: string, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/**
 * The WebSockets served under /agents, each keyed by a project id: the project's socket (chat,
 * tasks, missions; anyone of the project may connect, what they may do is the actor's) and the
 * voice conversation with its tech lead (`TechLeadVoice`; only who may write to the chat may
 * talk: members and owners, embed tokens with `chat:write`; voice/access.ts).
 */
const AGENT_SOCKETS = [
  { pattern: /^\/agents\/project-agent\/([^/]+)$/, refusal: () => null },
  { pattern: /^\/agents\/tech-lead-voice\/([^/]+)$/, refusal: (who: Pick<ConnectionUser, "role" | "embed">) => voiceRefusal(who, Date.now()) },
] as const;

/**
 * Only the WebSocket upgrades of AGENT_SOCKETS are public, all checked on one path. The caller
 * holds either a token or sign-in of an active account that is a member of the project — and a
 * browser (one that sends `Origin`) must then come from SAM's own origin — or an embed token of
 * that project, live, used from one of its origins; then the socket's own rule must let them in
 * (403 otherwise). The actor learns who it is from headers the Worker sets (client-sent copies
 * are dropped) and never sees the secret.
 */
async function handleAgentRequest(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const userSocket = USER_SOCKET.exec(url.pathname);
  if (userSocket && request.headers.get("upgrade")?.toLowerCase() === "websocket") return handleUserSocket(request, env, url, userSocket[1]);
  const socket = AGENT_SOCKETS.map((s) => ({ ...s, match: s.pattern.exec(url.pathname) })).find((s) => s.match !== null);
  if (!socket?.match || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return jsonError(404, "not_found", "only project, tech-lead voice and user WebSockets are served under /agents");
  }
  const projectId = projectIdSchema.safeParse(decodeURIComponent(socket.match[1]));
  if (!projectId.success) return jsonError(404, "not_found", "no such project");
  const credential = credentialFromRequest(request, true);
  const headers = new Headers(request.headers);
  for (const name of [USER_ID_HEADER, USER_NAME_HEADER, USER_ROLE_HEADER, TOKEN_ID_HEADER, CREDENTIAL_EXPIRES_HEADER, EMBED_HEADER]) headers.delete(name);
  if (credential?.kind === "token" && credential.secret.startsWith(EMBED_TOKEN_PREFIX)) {
    const embed = await embedUpgrade(env, request, credential.secret, projectId.data);
    if (embed instanceof Response) return embed;
    const refusal = socket.refusal({ role: "viewer", embed });
    if (refusal) return jsonError(403, "forbidden", refusal);
    headers.set(EMBED_HEADER, JSON.stringify(embed));
  } else {
    const origin = request.headers.get("origin");
    if (origin !== null && origin !== url.origin) return jsonError(403, "forbidden", `WebSockets from ${origin} are not allowed`);
    const auth = await authenticate(env, credential, clientAddress(request));
    if (!auth.ok) return jsonError(auth.status, auth.code, auth.message, auth.status === 429 ? { "retry-after": String(auth.retryAfterSeconds) } : undefined);
    if (auth.user.status !== "active") return jsonError(403, inactiveCode(auth.user.status), `your account is ${auth.user.status}`);
    const role = await projectRole(env, auth.user.id, projectId.data);
    if (!role) return jsonError(404, "not_found", "no such project");
    const refusal = socket.refusal({ role });
    if (refusal) return jsonError(403, "forbidden", refusal);
    headers.set(USER_ID_HEADER, auth.user.id);
    headers.set(USER_NAME_HEADER, auth.user.name);
    headers.set(USER_ROLE_HEADER, role);
    headers.set(TOKEN_ID_HEADER, auth.user.tokenId);
    // A token that expires closes its sockets then (the project socket schedules it).
    if (auth.user.expiresAt) headers.set(CREDENTIAL_EXPIRES_HEADER, auth.user.expiresAt);
  }
  url.searchParams.delete("token");
  headers.delete("authorization");
  const forwarded = new Request(url, { method: request.method, headers });
  return (await routeAgentRequest(forwarded, env)) ?? jsonError(404, "not_found", "no such agent");
}

/** Where a VM's runner connects (issue 16; src/sandbox/vm/protocol.ts). */
const VM_CONNECT_PATH = "/vm/connect";

/**
 * `GET /vm/connect?task=<taskId>` (a WebSocket upgrade): a VM's runner connecting out to its
 * task's actor. Carries no SAM token: the runner authenticates in its first frame with its
 * one-time registration token or its per-VM credential, which only that task's actor can check
 * (it holds their hashes; escalation.ts). A task id of the wrong shape, or not indexed, is a 404.
 */
async function handleVmConnect(request: Request, env: Env): Promise<Response> {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return jsonError(426, "upgrade_required", "a WebSocket upgrade is required");
  const url = new URL(request.url);
  const taskId = taskIdSchema.safeParse(url.searchParams.get("task") ?? "");
  if (!taskId.success) return jsonError(404, "not_found", "no such task");
  const known = await env.DB.prepare(`SELECT 1 AS one FROM tasks WHERE id = ?`).bind(taskId.data).first();
  if (!known) return jsonError(404, "not_found", "no such task");
  const headers = new Headers(request.headers);
  for (const name of [USER_ID_HEADER, USER_NAME_HEADER, USER_ROLE_HEADER, TOKEN_ID_HEADER, CREDENTIAL_EXPIRES_HEADER, EMBED_HEADER, "authorization"]) headers.delete(name);
  const forwarded = new Request(new URL(`/agents/task-agent/${taskId.data}`, url), { method: request.method, headers });
  return (await routeAgentRequest(forwarded, env)) ?? jsonError(404, "not_found", "no such task");
}

/** The user's own socket (their notifications, `UserAgent`), keyed by user id. */
const USER_SOCKET = /^\/agents\/user-agent\/([^/]+)$/;

/**
 * The user's own socket: the same credential, origin and active-account checks as a project
 * socket, but only the user the path names may open it (anyone else, and an id that is not a
 * user id: 404; an embed token: 401, it works only on its project's socket). The actor learns
 * the user and the credential from headers set here (client-sent copies dropped).
 */
async function handleUserSocket(request: Request, env: Env, url: URL, rawUserId: string): Promise<Response> {
  const userId = userIdSchema.safeParse(decodeURIComponent(rawUserId));
  if (!userId.success) return jsonError(404, "not_found", "no such user");
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== url.origin) return jsonError(403, "forbidden", `WebSockets from ${origin} are not allowed`);
  const auth = await authenticate(env, credentialFromRequest(request, true), clientAddress(request));
  if (!auth.ok) return jsonError(auth.status, auth.code, auth.message, auth.status === 429 ? { "retry-after": String(auth.retryAfterSeconds) } : undefined);
  if (auth.user.status !== "active") return jsonError(403, inactiveCode(auth.user.status), `your account is ${auth.user.status}`);
  if (auth.user.id !== userId.data) return jsonError(404, "not_found", "no such user");
  const headers = new Headers(request.headers);
  for (const name of [USER_ID_HEADER, USER_NAME_HEADER, USER_ROLE_HEADER, TOKEN_ID_HEADER, CREDENTIAL_EXPIRES_HEADER, EMBED_HEADER, "authorization"]) headers.delete(name);
  headers.set(USER_ID_HEADER, auth.user.id);
  headers.set(USER_NAME_HEADER, auth.user.name);
  headers.set(TOKEN_ID_HEADER, auth.user.tokenId);
  if (auth.user.expiresAt) headers.set(CREDENTIAL_EXPIRES_HEADER, auth.user.expiresAt);
  url.searchParams.delete("token");
  return (await routeAgentRequest(new Request(url, { method: request.method, headers }), env)) ?? jsonError(404, "not_found", "no such agent");
}

/**
 * Checks an embed token's upgrade: the token must exist (a wrong one counts as a failed attempt
 * of the address; 429 once the address had its fill), belong to this project, be live, be used
 * from one of its origins, and its minter must still be an active member who may write (their
 * removal or suspension ends their embeds). Returns what the actor needs to know of it, or the refusal.
 */
async function embedUpgrade(env: Env, request: Request, token: string, projectId: string): Promise<EmbedGrant | Response> {
  const address = clientAddress(request);
  const found = await findEmbedToken(env, token);
  if (!found || found.projectId !== projectId) {
    if (await throttled(env, address)) {
      const limited = rateLimited(Date.now());
      return jsonError(429, limited.code, limited.message, { "retry-after": String(limited.retryAfterSeconds) });
    }
    await recordFailure(env, address);
    return jsonError(401, "unauthorized", "a valid token is required");
  }
  if (found.expired) return jsonError(401, "unauthorized", "the embed token has expired");
  const minter = await env.DB.prepare(`SELECT u.status AS status, m.role AS role FROM users u JOIN project_members m ON m.user_id = u.id AND m.project_id = ? WHERE u.id = ?`)
    .bind(projectId, found.createdBy)
    .first<{ status: string; role: string }>();
  if (!minter || minter.status !== "active" || minter.role === "viewer") return jsonError(401, "unauthorized", "the embed token's maker may no longer share this project");
  const origin = request.headers.get("origin");
  if (!origin || !found.origins.includes(origin)) return jsonError(403, "forbidden", `this embed token may not be used from ${origin ?? "a page without an origin"}`);
  return { id: found.id, name: found.name, capabilities: found.capabilities, sessionId: found.sessionId, expiresAt: found.expiresAt, payerId: found.createdBy };
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
    const served = pathname.startsWith("/agents/") || pathname.startsWith("/api/") || pathname === "/api" || pathname.startsWith("/ai/") || pathname.startsWith("/hooks/");
    if (served && !decodablePath(pathname)) return jsonError(400, "invalid_input", "the path has a malformed percent-encoding");
    if (pathname.startsWith("/agents/")) return handleAgentRequest(request, env);
    if (pathname === VM_CONNECT_PATH) return handleVmConnect(request, env);
    if (pathname.startsWith("/api/") || pathname === "/api") return api.fetch(request, env, ctx);
    if (pathname.startsWith("/ai/")) return api.fetch(request, env, ctx);
    // Webhook triggers' URLs (src/api/routes/hooks.ts): signed by their callers, not authenticated with a SAM token.
    if (pathname.startsWith("/hooks/")) return api.fetch(request, env, ctx);
    // SAM's MCP server (src/api/mcp/server.ts): Streamable HTTP, authenticated with a personal access token.
    if (pathname === MCP_PATH) return handleMcpRequest(request, env, ctx);
    if (isEmbedScriptPath(pathname)) return serveEmbedScript(request, env.ASSETS);
    if (env.ASSETS) return withSecurityHeaders(await env.ASSETS.fetch(request));
    return jsonError(404, "not_found", "not found");
  },

  /**
   * The Worker's cron (wrangler.jsonc `triggers.crons`, its one schedule, `VM_SWEEP_CRON`):
   * sweeps every SAM VM (src/actors/project/vm-reconcile.ts `sweepAllVms`), the backstop of the
   * projects' own reconciliation alarms. @throws what the sweep throws (the provider's list
   * failed), after logging it.
   */
  async scheduled(_controller: ScheduledController, env: Env): Promise<void> {
    try {
      const report = await sweepAllVms(env);
      console.log(`VM sweep: ${report.projects.length} project(s) reconciled, ${report.unowned.length} server(s) without a project seen`);
    } catch (error) {
      console.error(`VM sweep failed: ${String(error)}`);
      throw error;
    }
  },
} satisfies ExportedHandler<Env>;
