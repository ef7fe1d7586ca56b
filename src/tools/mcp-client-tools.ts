/**
 * A project's MCP servers as tools of its agents (issue 17): listing a server's tools, naming
 * them `mcp__<server>__<tool>`, describing them to a model, and calling one — each over
 * Streamable HTTP with the official MCP client (`@modelcontextprotocol/client`, the client the
 * Agents SDK's `MCPClientManager` is built on), under a deadline, so a server that is down or
 * slow gives a clear tool error and never a stuck task.
 *
 * Why the client and not the Agents SDK's `MCPClientManager` (`this.mcp` of an Agent): the
 * manager persists each server's transport options — the headers, SAM's secrets — in the
 * actor's SQLite in plain text, restores and reconnects every persisted server whenever the
 * actor wakes (a finished task would reconnect), and names tools by its own server ids. A task
 * needs a catalog read once at its start and short-lived calls whose headers are opened from
 * the project's encrypted store for that call only.
 *
 * Each listing and each call is its own connection (connect, one request, close): no session
 * outlives a call, so an evicted task resumes with nothing to restore.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { jsonSchema, tool, type ToolSet } from "ai";
import type { McpServerConnection } from "../shared/mcp-servers.ts";
import type { ToolOutcome } from "./workspace-tools.ts";

/** How long listing a server's tools or one tool call may take, connection included (ms). */
export const MCP_CALL_TIMEOUT_MS = 15_000;

/** At most this many tools are taken from one server (a model's tool list stays readable). */
export const MAX_TOOLS_PER_SERVER = 64;

/** The most characters of a tool result kept for the model and the transcript. */
export const MAX_MCP_OUTPUT_CHARS = 50_000;

/** The prefix of every MCP tool's name. */
export const MCP_TOOL_PREFIX = "mcp__";

/** One tool of a project's MCP server as SAM's agents see it. */
export interface McpToolEntry {
  /** `mcp__<server>__<tool>`, the name the model calls (characters outside `[A-Za-z0-9_-]` become `_`, at most 64). */
  name: string;
  /** The server's name in the project. */
  server: string;
  /** The tool's own name on its server. */
  tool: string;
  description: string;
  /** The tool's input JSON Schema (an object schema), as the server gave it. */
  inputSchema: Record<string, unknown>;
}

/** A server could not be reached, listed or called in time; the message says which and why (no header values). */
export class McpUnavailableError extends Error {}

/** The name SAM's agents call a server's tool by: `mcp__<server>__<tool>`, limited to `[A-Za-z0-9_-]` and 64 characters (what model APIs accept). Pure. */
export function mcpToolName(server: string, toolName: string): string {
  return `${MCP_TOOL_PREFIX}${server}__${toolName}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

/** Whether `name` is an MCP tool's name (it starts with `mcp__`). Pure. */
export function isMcpToolName(name: string): boolean {
  return name.startsWith(MCP_TOOL_PREFIX);
}

/** Runs `work` with a connected client of `server`, under one deadline of `timeoutMs` for all of it; always closes. */
async function withClient<T>(server: McpServerConnection, timeoutMs: number, signal: AbortSignal | undefined, work: (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([deadline, signal]) : deadline;
  const client = new Client({ name: "sam", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers } });
  const options = { signal: combined, timeout: timeoutMs };
  // The SDK's own timeout covers requests; the race also bounds a connect that hangs before its request.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let fail: () => void = () => undefined;
  const expired = new Promise<never>((_, reject) => {
    fail = () => reject(signal?.aborted && !deadline.aborted ? new McpUnavailableError("the call was cancelled") : new McpUnavailableError(`MCP server ${server.name} did not answer within ${Math.round(timeoutMs / 1000)} s`));
    if (combined.aborted) fail();
    combined.addEventListener("abort", fail, { once: true });
    timer = setTimeout(fail, timeoutMs + 100);
  });
  // Once the work settles, nothing awaits `expired`: its later rejection must not surface as unhandled.
  expired.catch(() => undefined);
  try {
    return await Promise.race([
      (async () => {
        await client.connect(transport, options);
        return work(client, options);
      })(),
      expired,
    ]);
  } catch (error) {
    if (error instanceof McpUnavailableError) throw error;
    if (deadline.aborted) throw new McpUnavailableError(`MCP server ${server.name} did not answer within ${Math.round(timeoutMs / 1000)} s`);
    throw new McpUnavailableError(`MCP server ${server.name} is unavailable: ${describe(error)}`);
  } finally {
    clearTimeout(timer);
    combined.removeEventListener("abort", fail);
    void client.close().catch(() => undefined);
  }
}

/** An error's message without the server's URL query or any header (the client's messages name neither). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

/**
 * Lists `server`'s tools (at most MAX_TOOLS_PER_SERVER), named for SAM's agents.
 * @throws McpUnavailableError when the server cannot be reached or listed within `timeoutMs`.
 */
export async function listMcpServerTools(server: McpServerConnection, timeoutMs = MCP_CALL_TIMEOUT_MS): Promise<McpToolEntry[]> {
  return withClient(server, timeoutMs, undefined, async (client, options) => {
    const listed = await client.listTools(undefined, options);
    return listed.tools.slice(0, MAX_TOOLS_PER_SERVER).map((t) => ({
      name: mcpToolName(server.name, t.name),
      server: server.name,
      tool: t.name,
      description: `${t.description ?? t.title ?? t.name} (tool ${t.name} of the project's MCP server ${server.name})`,
      inputSchema: (t.inputSchema as Record<string, unknown> | undefined) ?? { type: "object", properties: {} },
    }));
  });
}

/**
 * Calls `entry`'s tool on `server` with `input` (a JSON object) and returns the outcome as any
 * tool's: its text content joined (other content summarised), `isError` when the server said so.
 * Never throws: a server down, slow (past `timeoutMs`) or refusing gives an error outcome that
 * says so; `signal` (a cancelled task) aborts the call.
 */
export async function callMcpTool(server: McpServerConnection, entry: McpToolEntry, input: unknown, signal?: AbortSignal, timeoutMs = MCP_CALL_TIMEOUT_MS): Promise<ToolOutcome> {
  const args = input && typeof input === "object" && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  try {
    const result = await withClient(server, timeoutMs, signal, (client, options) => client.callTool({ name: entry.tool, arguments: args }, options));
    const parts = (result.content ?? []).map((part) => (part.type === "text" ? part.text : `[${part.type} content]`));
    if (parts.length === 0 && result.structuredContent) parts.push(JSON.stringify(result.structuredContent));
    let output = parts.join("\n");
    if (output.length > MAX_MCP_OUTPUT_CHARS) output = `${output.slice(0, MAX_MCP_OUTPUT_CHARS)}\n[output cut at ${MAX_MCP_OUTPUT_CHARS} characters]`;
    return { output, isError: result.isError === true, exitCode: null };
  } catch (error) {
    const message = error instanceof McpUnavailableError ? error.message : `MCP server ${server.name} failed: ${describe(error)}`;
    return { output: `${entry.name} failed: ${message}`, isError: true, exitCode: null };
  }
}

/** AI SDK definitions (no `execute`: the task runs and journals the calls) of `entries`, by name. */
export function mcpToolSet(entries: readonly McpToolEntry[]): ToolSet {
  const set: ToolSet = {};
  for (const entry of entries) set[entry.name] = tool({ description: entry.description, inputSchema: jsonSchema(entry.inputSchema) });
  return set;
}

/** What listing a project's servers gave: the tools of those that answered, and a sentence per server that did not. */
export interface McpCatalog {
  tools: McpToolEntry[];
  failures: string[];
}

/**
 * Lists the tools of every server in `servers` at once (each under its own deadline). A server
 * that fails is left out, with a sentence in `failures`; a tool name two servers produce is
 * kept from the first. Never throws.
 */
export async function listProjectMcpTools(servers: readonly McpServerConnection[], timeoutMs = MCP_CALL_TIMEOUT_MS): Promise<McpCatalog> {
  const results = await Promise.allSettled(servers.map((server) => listMcpServerTools(server, timeoutMs)));
  const tools: McpToolEntry[] = [];
  const failures: string[] = [];
  const seen = new Set<string>();
  results.forEach((result, index) => {
    if (result.status === "rejected") {
      const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
      failures.push(`The tools of MCP server ${servers[index].name} are not available to this task: ${reason}`);
      return;
    }
    for (const entry of result.value) {
      if (seen.has(entry.name)) continue;
      seen.add(entry.name);
      tools.push(entry);
    }
  });
  return { tools, failures };
}
