/**
 * Who may call what, as a table of every route of the API × every kind of caller: no token,
 * someone who is not a member (404 for anything of the project), a viewer (403 on writes), a
 * member (403 on owners' acts) and a non-admin (403 on /api/admin). The table must list every
 * route the app registers, so a new route cannot forget its check.
 */
import { describe, expect, it } from "vitest";
import { createApiApp } from "../../src/api/app.ts";
import { newId } from "../../src/ids.ts";
import { addUser, api, apiJson, projectWithSession, waitForTask } from "./helpers.ts";

/** What a route needs: nothing, a signed-in user, an admin, a role in the project the path names, or a signature instead of a token (a webhook trigger's URL: 401 without one). */
type Need = "public" | "user" | "admin" | "read" | "write" | "own" | "signed";

/** Ids a route's path is filled with. */
interface Fixture {
  projectId: string;
  sessionId: string;
  taskId: string;
  missionId: string;
  userId: string;
  embedTokenId: string;
  triggerId: string;
  mcpServerId: string;
}

/** Every route: its method and path as registered, what it needs, and a body to send. */
const ROUTES: { method: string; path: string; need: Need; body?: unknown; headers?: Record<string, string> }[] = [
  { method: "GET", path: "/api/health", need: "public" },
  { method: "GET", path: "/api/me", need: "user" },
  { method: "GET", path: "/api/models", need: "user" },
  { method: "POST", path: "/api/projects", need: "user", body: { name: "p" } },
  { method: "GET", path: "/api/projects", need: "user" },
  { method: "POST", path: "/api/projects/:projectId/sessions", need: "write", body: {} },
  { method: "GET", path: "/api/projects/:projectId/sessions", need: "read" },
  { method: "GET", path: "/api/projects/:projectId/sessions/:sessionId/messages", need: "read" },
  { method: "POST", path: "/api/projects/:projectId/sessions/:sessionId/messages", need: "write", body: { text: "hi" } },
  { method: "GET", path: "/api/projects/:projectId", need: "read" },
  { method: "PATCH", path: "/api/projects/:projectId", need: "write", body: {} },
  { method: "PUT", path: "/api/projects/:projectId/repository-credential", need: "own", body: { token: "github_pat_access_table" } },
  { method: "DELETE", path: "/api/projects/:projectId/repository-credential", need: "own" },
  { method: "GET", path: "/api/projects/:projectId/policies", need: "read" },
  { method: "POST", path: "/api/projects/:projectId/policies", need: "write", body: { text: "be kind" } },
  { method: "POST", path: "/api/projects/:projectId/tasks", need: "write", body: { prompt: "p", script: [{ text: "done" }] } },
  { method: "GET", path: "/api/projects/:projectId/tasks", need: "read" },
  { method: "GET", path: "/api/tasks/:taskId", need: "read" },
  { method: "GET", path: "/api/tasks/:taskId/transcript", need: "read" },
  { method: "POST", path: "/api/tasks/:taskId/cancel", need: "write" },
  { method: "GET", path: "/api/tasks/:taskId/files/*", need: "read" },
  { method: "GET", path: "/api/tasks/:taskId/diff", need: "read" },
  { method: "POST", path: "/api/tasks/:taskId/answer", need: "write", body: { text: "yes" } },
  { method: "POST", path: "/api/tasks/:taskId/messages", need: "write", body: { text: "hello" } },
  { method: "POST", path: "/api/projects/:projectId/missions", need: "write", body: { goal: "g", tasks: [{ key: "a", prompt: "p", script: [{ text: "done" }] }] } },
  { method: "GET", path: "/api/projects/:projectId/missions", need: "read" },
  { method: "GET", path: "/api/missions/:missionId", need: "read" },
  { method: "POST", path: "/api/missions/:missionId/pause", need: "write" },
  { method: "POST", path: "/api/missions/:missionId/resume", need: "write" },
  { method: "POST", path: "/api/missions/:missionId/cancel", need: "write" },
  { method: "POST", path: "/api/credentials", need: "user", body: {} },
  { method: "GET", path: "/api/credentials", need: "user" },
  { method: "DELETE", path: "/api/credentials/:credentialId", need: "user" },
  { method: "GET", path: "/api/me/budgets", need: "user" },
  { method: "PUT", path: "/api/me/budgets", need: "user", body: {} },
  { method: "GET", path: "/api/me/settings", need: "user" },
  { method: "PUT", path: "/api/me/settings", need: "user", body: { payerMode: "platform" } },
  { method: "GET", path: "/api/projects/:projectId/model-settings", need: "read" },
  { method: "PUT", path: "/api/projects/:projectId/model-settings", need: "write", body: {} },
  { method: "GET", path: "/api/usage", need: "user" },
  { method: "GET", path: "/ai/v1/models", need: "user" },
  { method: "POST", path: "/ai/v1/chat/completions", need: "user", body: {} },
  { method: "POST", path: "/api/tokens", need: "user", body: { name: "t" } },
  { method: "GET", path: "/api/tokens", need: "user" },
  { method: "DELETE", path: "/api/tokens/:tokenId", need: "user" },
  { method: "GET", path: "/api/admin/users", need: "admin" },
  { method: "POST", path: "/api/admin/users", need: "admin", body: { name: "n" } },
  { method: "POST", path: "/api/admin/users/:userId/approve", need: "admin" },
  { method: "POST", path: "/api/admin/users/:userId/suspend", need: "admin" },
  { method: "POST", path: "/api/admin/users/:userId/reinstate", need: "admin" },
  { method: "GET", path: "/api/projects/:projectId/members", need: "read" },
  { method: "POST", path: "/api/projects/:projectId/members", need: "own", body: { userId: ":userId", role: "member" } },
  { method: "DELETE", path: "/api/projects/:projectId/members/:userId", need: "own" },
  { method: "POST", path: "/api/auth/device/code", need: "public", body: { client_id: "sam-cli" } },
  { method: "POST", path: "/api/auth/device/token", need: "public", body: {} },
  { method: "GET", path: "/api/auth/device", need: "user" },
  { method: "POST", path: "/api/auth/device/approve", need: "user", body: { user_code: "BCDF-GHJK" } },
  { method: "POST", path: "/api/auth/device/deny", need: "user", body: { user_code: "BCDF-GHJK" } },
  { method: "POST", path: "/api/projects/:projectId/embed-tokens", need: "write", body: { name: "e", capabilities: ["chat:read"], origins: ["https://app.example"], expiresInMinutes: 5 } },
  { method: "GET", path: "/api/projects/:projectId/embed-tokens", need: "write" },
  { method: "DELETE", path: "/api/projects/:projectId/embed-tokens/:embedTokenId", need: "write" },
  { method: "POST", path: "/api/projects/:projectId/triggers", need: "write", body: { name: "t", kind: "cron", schedule: "0 0 1 1 *", template: { task: { prompt: "p", script: [{ text: "done" }] } } } },
  { method: "GET", path: "/api/projects/:projectId/triggers", need: "read" },
  { method: "GET", path: "/api/projects/:projectId/triggers/:triggerId", need: "read" },
  { method: "PATCH", path: "/api/projects/:projectId/triggers/:triggerId", need: "write", body: { name: "renamed" } },
  { method: "POST", path: "/api/projects/:projectId/triggers/:triggerId/secret", need: "write" },
  { method: "GET", path: "/api/projects/:projectId/triggers/:triggerId/runs", need: "read" },
  { method: "POST", path: "/hooks/:triggerId", need: "signed", body: {} },
  // Last of the trigger rows: a member deletes the fixture's trigger.
  { method: "DELETE", path: "/api/projects/:projectId/triggers/:triggerId", need: "write" },
  { method: "POST", path: "/api/projects/:projectId/mcp-servers", need: "write", body: { name: "added", url: "http://127.0.0.1:9/mcp", headers: { authorization: "Bearer s3cret" } } },
  { method: "GET", path: "/api/projects/:projectId/mcp-servers", need: "read" },
  // A member deletes the fixture's MCP server.
  { method: "DELETE", path: "/api/projects/:projectId/mcp-servers/:serverId", need: "write" },
  // The MCP server (src/api/mcp/server.ts), served by the Worker beside the API app: any active token holder; the project checks happen per tool call.
  { method: "POST", path: "/mcp", need: "user", body: { jsonrpc: "2.0", id: 1, method: "tools/list" }, headers: { accept: "application/json, text/event-stream" } },
  // Not in this table: `GET /vm/connect` (a VM's runner; no SAM token, it authenticates in its first frame: refusals in escalation.test.ts) and `GET /vm/runner.js` (a static asset of the build, public code).
  { method: "GET", path: "/api/auth/config", need: "public" },
  { method: "POST", path: "/api/auth/session", need: "public", body: {}, headers: { origin: "http://sam.test" } },
  { method: "POST", path: "/api/auth/signout", need: "user" },
  { method: "GET", path: "/api/auth/github", need: "public" },
  { method: "GET", path: "/api/auth/callback/github", need: "public" },
  { method: "GET", path: "/api/notifications", need: "user" },
  { method: "POST", path: "/api/notifications/read", need: "user", body: { all: true } },
  { method: "GET", path: "/api/me/notification-settings", need: "user" },
  { method: "PUT", path: "/api/me/notification-settings", need: "user", body: { push: { kinds: [] }, webhook: { url: null, kinds: [] } } },
  { method: "GET", path: "/api/push/vapid-public-key", need: "user" },
  { method: "POST", path: "/api/me/push-subscriptions", need: "user", body: {} },
  { method: "GET", path: "/api/me/push-subscriptions", need: "user" },
  { method: "DELETE", path: "/api/me/push-subscriptions/:subscriptionId", need: "user" },
];

/** The route's path with the fixture's ids (and fresh ids where the fixture has none). */
function fill(path: string, f: Fixture): string {
  return path
    .replace(":projectId", f.projectId)
    .replace(":sessionId", f.sessionId)
    .replace(":taskId", f.taskId)
    .replace(":missionId", f.missionId)
    .replace(":userId", f.userId)
    .replace(":credentialId", newId("credential"))
    .replace(":tokenId", newId("token"))
    .replace(":embedTokenId", f.embedTokenId)
    .replace(":triggerId", f.triggerId)
    .replace(":serverId", f.mcpServerId)
    .replace(":subscriptionId", newId("pushSubscription"))
    .replace("*", "notes.txt");
}

function bodyFor(route: (typeof ROUTES)[number], f: Fixture): unknown {
  return route.body === undefined ? undefined : JSON.parse(JSON.stringify(route.body).replace(":userId", f.userId));
}

async function status(route: (typeof ROUTES)[number], f: Fixture, token: string | null): Promise<number> {
  const method = route.method;
  const response = await api(fill(route.path, f), { method, token, headers: route.headers, json: method === "GET" || method === "DELETE" ? undefined : (bodyFor(route, f) ?? {}) });
  await response.body?.cancel();
  return response.status;
}

describe("access, route by route", () => {
  it("the table lists exactly the routes the API registers", () => {
    const registered = new Set(createApiApp().routes.map((r) => `${r.method} ${r.path}`));
    const listed = new Set(ROUTES.filter((r) => r.path !== "/mcp").map((r) => `${r.method} ${r.path}`));
    expect([...registered].filter((r) => !listed.has(r))).toEqual([]);
    expect([...listed].filter((r) => !registered.has(r))).toEqual([]);
  });

  it("each kind of caller gets what their rights allow", async () => {
    const owned = await projectWithSession("access table");
    const task = await apiJson<{ id: string }>(`/api/projects/${owned.projectId}/tasks`, { method: "POST", json: { prompt: "p", script: [{ text: "done" }], workspace: { files: { "notes.txt": "n" } } } }, 201);
    await waitForTask(task.id);
    const mission = await apiJson<{ id: string }>(`/api/projects/${owned.projectId}/missions`, { method: "POST", json: { goal: "g", tasks: [{ key: "a", prompt: "p", script: [{ text: "done" }] }] } }, 201);
    const viewer = await addUser("viewer");
    const member = await addUser("member");
    const stranger = await addUser("stranger");
    const target = await addUser("target");
    for (const [who, role] of [[viewer, "viewer"], [member, "member"], [target, "member"]] as const) {
      await apiJson(`/api/projects/${owned.projectId}/members`, { method: "POST", json: { userId: who.id, role } }, 201);
    }
    const embed = await apiJson<{ id: string }>(`/api/projects/${owned.projectId}/embed-tokens`, { method: "POST", json: { name: "e", capabilities: ["chat:read"], origins: ["https://app.example"], expiresInMinutes: 5 } }, 201);
    const trigger = await apiJson<{ id: string }>(`/api/projects/${owned.projectId}/triggers`, { method: "POST", json: { name: "hook", kind: "webhook", template: { task: { prompt: "p", script: [{ text: "done" }] } } } }, 201);
    const mcpServer = await apiJson<{ id: string }>(`/api/projects/${owned.projectId}/mcp-servers`, { method: "POST", json: { name: "fixture", url: "http://127.0.0.1:9/mcp" } }, 201);
    const fixture: Fixture = { ...owned, taskId: task.id, missionId: mission.id, userId: target.id, embedTokenId: embed.id, triggerId: trigger.id, mcpServerId: mcpServer.id };
    const problems: string[] = [];
    const expectStatus = (route: (typeof ROUTES)[number], who: string, got: number, ok: (s: number) => boolean, want: string) => {
      if (!ok(got)) problems.push(`${route.method} ${route.path} as ${who}: got ${got}, want ${want}`);
    };
    for (const route of ROUTES) {
      const anonymous = await status(route, fixture, null);
      if (route.need === "public") expectStatus(route, "nobody", anonymous, (s) => s !== 401 && s !== 403, "no auth needed");
      else expectStatus(route, "nobody", anonymous, (s) => s === 401, "401");
      if (route.need === "admin") expectStatus(route, "a member", await status(route, fixture, member.token), (s) => s === 403, "403");
      if (route.need === "read" || route.need === "write" || route.need === "own") {
        expectStatus(route, "a stranger", await status(route, fixture, stranger.token), (s) => s === 404, "404");
        const asViewer = await status(route, fixture, viewer.token);
        if (route.need === "read") expectStatus(route, "a viewer", asViewer, (s) => s !== 403 && s !== 404, "allowed");
        else expectStatus(route, "a viewer", asViewer, (s) => s === 403, "403");
        const asMember = await status(route, fixture, member.token);
        if (route.need === "own") expectStatus(route, "a member", asMember, (s) => s === 403, "403");
        else expectStatus(route, "a member", asMember, (s) => s !== 403 && s !== 404, "allowed");
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
