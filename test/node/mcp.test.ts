/**
 * MCP's pure parts and the client's deadline (issue 17): the profiles, the tool names SAM's
 * agents see, the server registration's input and URL rules, and a slow or absent server giving
 * a clear tool error within the deadline (a real loopback server that never answers).
 */
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { MCP_PROFILES, MCP_TOOL_NAMES, profileOf } from "../../src/api/mcp/profiles.ts";
import { fromMcpArgs, mcpInputSchema, snakeCase } from "../../src/api/mcp/input-names.ts";
import { mcpServerCreateSchema, mcpUrlRefusal } from "../../src/shared/mcp-servers.ts";
import { callMcpTool, isMcpToolName, listProjectMcpTools, mcpToolName } from "../../src/tools/mcp-client-tools.ts";
import { freePort } from "../e2e/stack.ts";

describe("MCP profiles", () => {
  it("default to full, know their names, refuse others", () => {
    expect(profileOf(null)).toBe("full");
    expect(profileOf("")).toBe("full");
    expect(profileOf("workspace")).toBe("workspace");
    expect(profileOf("orchestrate")).toBe("orchestrate");
    expect(profileOf("everything")).toBeNull();
  });

  it("are subsets of the full list, which is issue 17's fifteen tools", () => {
    expect(MCP_PROFILES.full).toEqual(MCP_TOOL_NAMES);
    expect(MCP_TOOL_NAMES).toHaveLength(15);
    for (const name of [...MCP_PROFILES.workspace, ...MCP_PROFILES.orchestrate]) expect(MCP_TOOL_NAMES).toContain(name);
    expect(MCP_PROFILES.workspace).not.toContain("dispatch_task");
    expect(MCP_PROFILES.orchestrate).toContain("create_mission");
  });
});

describe("MCP tool names and registrations", () => {
  it("name a server's tools mcp__<server>__<tool>, within what model APIs accept", () => {
    expect(mcpToolName("docs", "search")).toBe("mcp__docs__search");
    expect(mcpToolName("docs", "files/read.v2")).toBe("mcp__docs__files_read_v2");
    expect(mcpToolName("s", "x".repeat(100))).toHaveLength(64);
    expect(isMcpToolName("mcp__docs__search")).toBe(true);
    expect(isMcpToolName("bash")).toBe(false);
  });

  it("parse a registration: names, URLs, headers", () => {
    expect(mcpServerCreateSchema.safeParse({ name: "a-b_1", url: "https://example.com/mcp", headers: { Authorization: "Bearer x" } }).success).toBe(true);
    expect(mcpServerCreateSchema.safeParse({ name: "A", url: "https://example.com/mcp" }).success).toBe(false);
    expect(mcpServerCreateSchema.safeParse({ name: "a", url: "file:///etc/passwd" }).success).toBe(false);
    expect(mcpServerCreateSchema.safeParse({ name: "a", url: "https://example.com", headers: { "X-A": "a\nb" } }).success).toBe(false);
  });

  it("refuse local and private hosts when deployed, and allow them locally", () => {
    for (const url of ["http://localhost:1/mcp", "http://127.0.0.1/mcp", "http://10.1.2.3/mcp", "http://192.168.0.1/mcp", "http://172.20.0.1/mcp", "http://169.254.169.254/", "http://[::1]/mcp", "http://[fd00::1]/mcp"]) {
      expect(mcpUrlRefusal(url, false), url).toMatch(/local or private/);
      expect(mcpUrlRefusal(url, true), url).toBeNull();
    }
    expect(mcpUrlRefusal("https://mcp.example.com/mcp", false)).toBeNull();
    expect(mcpUrlRefusal("http://172.32.0.1/mcp", false)).toBeNull();
  });
});

describe("the MCP client's deadline", () => {
  let server: Server | null = null;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
    server = null;
  });

  it("gives a clear tool error when a server never answers, within the deadline", async () => {
    const port = await freePort();
    server = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
    const connection = { name: "slow", url: `http://127.0.0.1:${port}/mcp`, headers: {} };
    const entry = { name: "mcp__slow__t", server: "slow", tool: "t", description: "", inputSchema: { type: "object" } };
    const started = Date.now();
    const outcome = await callMcpTool(connection, entry, {}, undefined, 300);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome).toMatchObject({ isError: true, exitCode: null });
    expect(outcome.output).toMatch(/mcp__slow__t failed: MCP server slow did not answer within/);
    const catalog = await listProjectMcpTools([connection], 300);
    expect(catalog.tools).toEqual([]);
    expect(catalog.failures).toEqual([expect.stringMatching(/MCP server slow are not available to this task: MCP server slow did not answer/)]);
  });

  it("gives a clear tool error when nothing listens", async () => {
    const port = await freePort();
    const outcome = await callMcpTool({ name: "gone", url: `http://127.0.0.1:${port}/mcp`, headers: {} }, { name: "mcp__gone__t", server: "gone", tool: "t", description: "", inputSchema: {} }, {}, undefined, 2000);
    expect(outcome.isError).toBe(true);
    expect(outcome.output).toMatch(/MCP server gone is unavailable/);
  });
});

describe("MCP input names (src/api/mcp/input-names.ts)", () => {
  const definition = z.object({ taskId: z.string(), text: z.string(), maxSteps: z.number().optional() });
  const { schema, renamed } = mcpInputSchema(definition);

  it("advertises snake_case top-level fields and accepts the API's camelCase too", () => {
    const json = z.toJSONSchema(schema, { io: "input" }) as { properties: Record<string, unknown> };
    expect(Object.keys(json.properties)).toEqual(["task_id", "taskId", "text", "max_steps", "maxSteps"]);
    expect(fromMcpArgs(schema.parse({ task_id: "tsk_1", text: "hi" }) as Record<string, unknown>, renamed)).toEqual({ taskId: "tsk_1", text: "hi" });
    expect(fromMcpArgs(schema.parse({ taskId: "tsk_2", text: "hi", max_steps: 3 }) as Record<string, unknown>, renamed)).toEqual({ taskId: "tsk_2", text: "hi", maxSteps: 3 });
    expect(definition.parse(fromMcpArgs({ task_id: "a", taskId: "b", text: "t" }, renamed))).toEqual({ taskId: "a", text: "t" });
  });

  it("still requires a required field under one of its names", () => {
    const missing = schema.safeParse({ text: "hi" });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues.map((i) => i.message)).toEqual(["task_id is required"]);
    expect(snakeCase("missionId")).toBe("mission_id");
    expect(snakeCase("prompt")).toBe("prompt");
  });
});
