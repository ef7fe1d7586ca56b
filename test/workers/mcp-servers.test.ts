/**
 * A project's MCP servers (issue 17): register, list, remove; validation; header values are
 * secrets (sealed at rest, never returned); and SAM's own MCP server answering the official
 * client in the Worker (its full exercise against the started stack is test/e2e/mcp.test.ts).
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openSecret } from "../../src/models/credentials.ts";
import type { McpServerView } from "../../src/shared/mcp-servers.ts";
import { addUser, api, apiJson, projectWithSession, TOKEN } from "./helpers.ts";

const SECRET = "Bearer tok-very-secret-0123456789";

describe("a project's MCP servers", () => {
  it("are registered, listed without header values, and removed", async () => {
    const { projectId } = await projectWithSession("mcp servers");
    const created = await apiJson<McpServerView>(`/api/projects/${projectId}/mcp-servers`, { method: "POST", json: { name: "docs_1", url: "http://127.0.0.1:9999/mcp", headers: { Authorization: SECRET, "X-Team": "blue" } } }, 201);
    expect(created).toMatchObject({ name: "docs_1", url: "http://127.0.0.1:9999/mcp", headerNames: ["Authorization", "X-Team"] });
    expect(created.id).toMatch(/^mcs_/);
    expect(JSON.stringify(created)).not.toContain("very-secret");

    const listed = await apiJson<{ servers: McpServerView[] }>(`/api/projects/${projectId}/mcp-servers`);
    expect(listed.servers).toEqual([created]);
    expect(JSON.stringify(listed)).not.toContain("very-secret");
    expect(JSON.stringify(listed)).not.toContain("blue");

    // The name is unique in the project.
    const again = await api(`/api/projects/${projectId}/mcp-servers`, { method: "POST", json: { name: "docs_1", url: "http://127.0.0.1:9998/mcp" } });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "conflict" } });

    expect((await api(`/api/projects/${projectId}/mcp-servers/${created.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await apiJson<{ servers: McpServerView[] }>(`/api/projects/${projectId}/mcp-servers`)).servers).toEqual([]);
    expect((await api(`/api/projects/${projectId}/mcp-servers/${created.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await api(`/api/projects/${projectId}/mcp-servers/not-an-id`, { method: "DELETE" })).status).toBe(400);
  });

  it("refuses bad input with a 400 and stores nothing", async () => {
    const { projectId } = await projectWithSession("mcp validation");
    const bad: unknown[] = [
      {},
      { name: "Docs", url: "http://127.0.0.1:1/mcp" },
      { name: "has space", url: "http://127.0.0.1:1/mcp" },
      { name: "x".repeat(33), url: "http://127.0.0.1:1/mcp" },
      { name: "ok", url: "ftp://example.com/mcp" },
      { name: "ok", url: "not a url" },
      { name: "ok", url: "https://user:pw@example.com/mcp" },
      { name: "ok", url: "https://example.com/mcp", headers: { "bad header": "v" } },
      { name: "ok", url: "https://example.com/mcp", headers: { "X-A": "line\r\nbreak" } },
      { name: "ok", url: "https://example.com/mcp", headers: { "X-A": "1", "x-a": "2" } },
      { name: "ok", url: "https://example.com/mcp", headers: ["a"] },
    ];
    for (const body of bad) {
      const response = await api(`/api/projects/${projectId}/mcp-servers`, { method: "POST", json: body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await response.json(), JSON.stringify(body)).toMatchObject({ error: { code: "invalid_input" } });
    }
    const notJson = await api(`/api/projects/${projectId}/mcp-servers`, { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(400);
    expect((await apiJson<{ servers: McpServerView[] }>(`/api/projects/${projectId}/mcp-servers`)).servers).toEqual([]);
  });

  it("keeps header values sealed at rest, opening only under the project's and server's ids", async () => {
    const { projectId } = await projectWithSession("mcp sealed");
    const created = await apiJson<McpServerView>(`/api/projects/${projectId}/mcp-servers`, { method: "POST", json: { name: "sealed", url: "http://127.0.0.1:9999/mcp", headers: { Authorization: SECRET } } }, 201);
    const stub = env.ProjectAgent.get(env.ProjectAgent.idFromName(projectId));
    const rows = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ id: string; headers_iv: string; headers_ciphertext: string }>(`SELECT * FROM mcp_servers`).toArray(),
    );
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain("very-secret");
    const sealed = { iv: rows[0].headers_iv, ciphertext: rows[0].headers_ciphertext };
    expect(JSON.parse(await openSecret(env.ENCRYPTION_KEY, projectId, created.id, sealed))).toEqual({ Authorization: SECRET });
    await expect(openSecret(env.ENCRYPTION_KEY, projectId, "mcs_other", sealed)).rejects.toThrow(/could not be decrypted/);
    // What a task gets: the headers opened, in memory.
    const connections = await runInDurableObject(stub, (instance) => (instance as unknown as { projectMcpConnections(): Promise<unknown> }).projectMcpConnections());
    expect(connections).toEqual({ servers: [{ name: "sealed", url: "http://127.0.0.1:9999/mcp", headers: { Authorization: SECRET } }], failures: [] });
  });

  it("lets a viewer list but not register or remove, and hides them from strangers", async () => {
    const { projectId } = await projectWithSession("mcp roles");
    const created = await apiJson<McpServerView>(`/api/projects/${projectId}/mcp-servers`, { method: "POST", json: { name: "s", url: "http://127.0.0.1:9999/mcp" } }, 201);
    const viewer = await addUser("mcp viewer");
    const stranger = await addUser("mcp stranger");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: viewer.id, role: "viewer" } }, 201);
    expect((await apiJson<{ servers: McpServerView[] }>(`/api/projects/${projectId}/mcp-servers`, { token: viewer.token })).servers.map((s) => s.name)).toEqual(["s"]);
    expect((await api(`/api/projects/${projectId}/mcp-servers`, { method: "POST", token: viewer.token, json: { name: "t", url: "http://127.0.0.1:9999/mcp" } })).status).toBe(403);
    expect((await api(`/api/projects/${projectId}/mcp-servers/${created.id}`, { method: "DELETE", token: viewer.token })).status).toBe(403);
    expect((await api(`/api/projects/${projectId}/mcp-servers`, { token: stranger.token })).status).toBe(404);
  });
});

describe("SAM's MCP server in the Worker", () => {
  /** The official client, connected to /mcp through the Worker's own fetch. */
  async function mcpClient(token: string | null, profile?: string): Promise<Client> {
    const url = new URL(`http://localhost/mcp${profile ? `?profile=${profile}` : ""}`);
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
      // A Request made in the test has no Host header, which the SDK's handler checks (a real one always has it).
      fetch: (input, init) => {
        const request = new Request(input, init);
        request.headers.set("host", "localhost");
        return exports.default.fetch(request);
      },
    });
    const client = new Client({ name: "test", version: "1.0.0" });
    await client.connect(transport);
    return client;
  }

  it("lists its tools and runs one as the token's user", async () => {
    const { projectId } = await projectWithSession("mcp in worker");
    const client = await mcpClient(TOKEN);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("dispatch_task");
    const status = await client.callTool({ name: "get_project_status", arguments: { project_id: projectId } });
    expect(status.isError ?? false).toBe(false);
    expect(JSON.parse((status.content as { text: string }[])[0].text)).toMatchObject({ costUsd: 0 });
    const invalid = await client.callTool({ name: "get_task", arguments: { project_id: projectId, taskId: "nope" } });
    expect(invalid.isError).toBe(true);
    await client.close();
  });

  it("answers 401 without a token and 400 for an unknown profile", async () => {
    const none = await exports.default.fetch(new Request("http://localhost/mcp", { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" }));
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "unauthorized" } });
    const profile = await exports.default.fetch(new Request("http://localhost/mcp?profile=everything", { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: "{}" }));
    expect(profile.status).toBe(400);
  });
});
