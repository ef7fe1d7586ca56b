/**
 * MCP end to end (issue 17), against the stack started as `npm start` starts it:
 *
 * - SAM's MCP server (`/mcp`) with the official client (`@modelcontextprotocol/sdk` `Client` +
 *   `StreamableHTTPClientTransport`, a personal access token in `Authorization`): the tools of
 *   each profile, a scripted task dispatched and watched to success with `get_task`, another
 *   user's project not found, a viewer's write refused, no token 401.
 * - SAM as an MCP client: a local MCP server (the official SDK's `McpServer` +
 *   `StreamableHTTPServerTransport`, on loopback in this process) registered on a project; a
 *   scripted task calls its tool (`mcp__local__echo`) and the result is in its transcript; with
 *   the server stopped, the call is a tool error in the transcript and the task goes on to
 *   succeed; a task started while it is down has a note and its own tools.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MCP_PROFILES } from "../../src/api/mcp/profiles.ts";
import type { TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { call, freePort, startStack, waitForTaskEnd, type Stack } from "./stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The official client connected to the stack's `/mcp` with `token`. */
async function samClient(token: string, profile?: string): Promise<Client> {
  const url = new URL(`${stack.url}/mcp${profile ? `?profile=${profile}` : ""}`);
  const client = new Client({ name: "e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };

/** Calls `name` and returns its result's text and whether it is an error. */
async function tool(client: Client, name: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }> {
  const result = (await client.callTool({ name, arguments: args })) as ToolResult;
  return { isError: result.isError === true, text: result.content.map((c) => c.text).join("\n") };
}

async function person(name: string): Promise<{ id: string; token: string }> {
  const made = await call<{ user: { id: string }; token: string }>(stack, "/api/admin/users", { json: { name } });
  return { id: made.user.id, token: made.token };
}

async function transcript(taskId: string): Promise<TranscriptEvent[]> {
  return (await call<{ events: TranscriptEvent[] }>(stack, `/api/tasks/${taskId}/transcript`)).events;
}

describe("SAM's MCP server", () => {
  it("offers each profile's tools", async () => {
    for (const profile of ["workspace", "orchestrate", "full"] as const) {
      const client = await samClient(stack.token, profile);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort(), profile).toEqual([...MCP_PROFILES[profile]].sort());
      for (const t of tools) expect(t.description, t.name).toBeTruthy();
      await client.close();
    }
    const byDefault = await samClient(stack.token);
    expect((await byDefault.listTools()).tools).toHaveLength(15);
    await byDefault.close();
  });

  it("dispatches a scripted task and watches it succeed with get_task", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "mcp driven" } });
    const client = await samClient(stack.token);
    const projects = await tool(client, "list_projects", {});
    expect(projects.isError).toBe(false);
    expect(JSON.parse(projects.text).projects.map((p: { id: string }) => p.id)).toContain(project.id);

    const script = [{ toolCalls: [{ toolName: "bash", input: { command: "echo from-mcp > out.txt && cat out.txt" } }] }, { text: "wrote out.txt" }];
    const dispatched = await tool(client, "dispatch_task", { project_id: project.id, prompt: "write out.txt", model: "scripted", script });
    expect(dispatched.isError, dispatched.text).toBe(false);
    const { id } = JSON.parse(dispatched.text) as { id: string };
    expect(id).toMatch(/^tsk_/);
    const done = await pollUntil(
      "get_task to report the task succeeded",
      async () => JSON.parse((await tool(client, "get_task", { project_id: project.id, task_id: id })).text) as { status: string; summary: string | null; changedFiles: string[] },
      (view) => ["succeeded", "failed", "cancelled"].includes(view.status),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(done).toMatchObject({ status: "succeeded", summary: "wrote out.txt", changedFiles: ["out.txt"] });
    const listed = JSON.parse((await tool(client, "list_tasks", { project_id: project.id })).text) as { id: string }[];
    expect(listed.map((t) => t.id)).toContain(id);
    const unknown = await tool(client, "get_task", { project_id: project.id, taskId: "tsk_00000000000000000000000000" });
    expect(unknown).toMatchObject({ isError: true });
    expect(unknown.text).toMatch(/no task/);
    await client.close();
  }, 90_000);

  it("treats another user's project as not found and refuses a viewer's write", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "guarded" } });
    const stranger = await person("mcp-stranger");
    const viewer = await person("mcp-viewer");
    await call(stack, `/api/projects/${project.id}/members`, { json: { userId: viewer.id, role: "viewer" } });

    const strangers = await samClient(stranger.token);
    const notFound = await tool(strangers, "get_project_status", { project_id: project.id });
    expect(notFound.isError).toBe(true);
    expect(notFound.text).toMatch(/not found/);
    expect(JSON.parse((await tool(strangers, "list_projects", {})).text).projects).toEqual([]);
    await strangers.close();

    const viewers = await samClient(viewer.token);
    const read = await tool(viewers, "get_project_status", { project_id: project.id });
    expect(read.isError, read.text).toBe(false);
    const write = await tool(viewers, "dispatch_task", { project_id: project.id, prompt: "try", model: "scripted", script: [{ text: "no" }] });
    expect(write.isError).toBe(true);
    expect(write.text).toMatch(/viewers may only read/);
    const knowledge = await tool(viewers, "add_knowledge", { project_id: project.id, title: "t", text: "x" });
    expect(knowledge.isError).toBe(true);
    expect((await call<{ tasks: unknown[] }>(stack, `/api/projects/${project.id}/tasks`)).tasks).toEqual([]);
    await viewers.close();
  });

  it("answers 401 without a token, or with a wrong one", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const none = await fetch(`${stack.url}/mcp`, { method: "POST", headers, body });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: "unauthorized" } });
    const wrong = await fetch(`${stack.url}/mcp`, { method: "POST", headers: { ...headers, authorization: "Bearer sam_pat_not_a_real_token_at_all" }, body });
    expect(wrong.status).toBe(401);
    await expect(samClient("sam_pat_not_a_real_token_at_all")).rejects.toThrow();
  });
});

describe("a project's MCP servers as tools of its tasks", () => {
  const SECRET = "Bearer local-mcp-secret-42";
  let server: Server;
  let port: number;
  const seenAuthorization: (string | undefined)[] = [];

  /** One stateless MCP server per request (the SDK's stateless pattern), with one tool: `echo`, which needs the registered header. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    seenAuthorization.push(req.headers.authorization);
    const mcp = new McpServer({ name: "local", version: "1.0.0" });
    mcp.registerTool("echo", { description: "Echoes the text back", inputSchema: { text: z.string() } }, async ({ text }) =>
      req.headers.authorization === SECRET ? { content: [{ type: "text", text: `echo: ${text}` }] } : { content: [{ type: "text", text: "unauthorized" }], isError: true },
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  }

  beforeAll(async () => {
    port = await freePort();
    server = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
    await new Promise<void>((resolveListen) => server.listen(port, "127.0.0.1", resolveListen));
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("a task calls its tool (journaled), then, the server stopped, gets a tool error and still succeeds", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "mcp tools" } });
    await call(stack, `/api/projects/${project.id}/mcp-servers`, { json: { name: "local", url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: SECRET } } });
    const script = [
      { toolCalls: [{ toolName: "mcp__local__echo", input: { text: "hello" } }] },
      { toolCalls: [{ toolName: "ask_human", input: { question: "may I go on?" } }] },
      { toolCalls: [{ toolName: "mcp__local__echo", input: { text: "again" } }] },
      { text: "went on without the server" },
    ];
    const task = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, { json: { prompt: "use the echo tool", script } });
    await pollUntil("the task to ask its question", () => call<{ status: string }>(stack, `/api/tasks/${task.id}`), (view) => view.status === "waiting", { timeoutMs: 60_000, intervalMs: 100 });
    const first = (await transcript(task.id)).filter((e) => e.type === "tool_result" && e.toolName === "mcp__local__echo");
    expect(first).toMatchObject([{ output: "echo: hello", isError: false }]);
    expect((await transcript(task.id)).some((e) => e.type === "tool_call" && e.toolName === "mcp__local__echo")).toBe(true);
    expect(seenAuthorization).toContain(SECRET);

    // The tech lead has the same tools beside its own.
    await call(stack, `/api/projects/${project.id}`, {
      method: "PATCH",
      json: { techLead: { model: "scripted", script: [{ toolCalls: [{ toolName: "mcp__local__echo", input: { text: "from the lead" } }] }, { text: "echoed" }] } },
    });
    const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "lead", kind: "tech-lead" } });
    await call(stack, `/api/projects/${project.id}/sessions/${session.id}/messages`, { json: { text: "echo something" } });
    type Stored = { author: { kind: string }; text: string; cards: { toolName: string; output: unknown; isError: boolean }[] };
    const reply = await pollUntil(
      "the tech lead's reply",
      async () => (await call<{ messages: Stored[] }>(stack, `/api/projects/${project.id}/sessions/${session.id}/messages`)).messages.find((m) => m.author.kind === "tech-lead"),
      (m) => m !== undefined,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(reply?.cards).toMatchObject([{ toolName: "mcp__local__echo", output: "echo: from the lead", isError: false }]);

    // The server goes away while the task waits; the next call is a tool error, and the task goes on.
    server.closeAllConnections();
    await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    await call(stack, `/api/tasks/${task.id}/answer`, { json: { text: "yes" } });
    const ended = await waitForTaskEnd(stack, task.id);
    expect(ended).toMatchObject({ status: "succeeded", summary: "went on without the server" });
    const results = (await transcript(task.id)).filter((e) => e.type === "tool_result" && e.toolName === "mcp__local__echo");
    expect(results).toHaveLength(2);
    expect(results[1]).toMatchObject({ isError: true });
    expect(results[1].type === "tool_result" && results[1].output).toMatch(/mcp__local__echo failed: MCP server local is unavailable/);

    // A task started while the server is down: a note in its transcript, its own tools, and a tool error for the missing one.
    const later = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, {
      json: { prompt: "try again", script: [{ toolCalls: [{ toolName: "mcp__local__echo", input: { text: "x" } }, { toolName: "bash", input: { command: "echo own-tools" } }] }, { text: "done anyway" }] },
    });
    expect(await waitForTaskEnd(stack, later.id)).toMatchObject({ status: "succeeded", summary: "done anyway" });
    const events = await transcript(later.id);
    expect(events.some((e) => e.type === "message" && e.from === "SAM" && /MCP server local are not available/.test(e.text))).toBe(true);
    expect(events.find((e) => e.type === "tool_result" && e.toolName === "mcp__local__echo")).toMatchObject({ isError: true });
    expect(events.find((e) => e.type === "tool_result" && e.toolName === "bash")).toMatchObject({ isError: false });
  }, 120_000);
});
