/**
 * A task's tools from its project's MCP servers (issue 17). When the task starts, it asks its
 * project for the servers (headers opened, ProjectAgent.projectMcpConnections) and lists their
 * tools once (src/tools/mcp-client-tools.ts, each server under its deadline); the catalog is
 * kept in the task's SQLite, so a resumed task offers the model the same tools. A server that
 * cannot be listed leaves the task with its own tools plus a note in its transcript (a
 * `message` event from "SAM", which the model also reads).
 *
 * A call (`mcp__<server>__<tool>`) goes through the loop's normal tool path (journaled call,
 * journaled result); it opens the server's headers afresh from the project and runs under the
 * call deadline, so a server that went down or is slow gives a tool error, never a stuck task.
 */
import { getAgentByName } from "agents";
import type { ToolSet } from "ai";
import type { RequestedToolCall } from "../../models/step.ts";
import type { McpServerConnection } from "../../shared/mcp-servers.ts";
import type { TranscriptEvent } from "../../shared/protocol.ts";
import { callMcpTool, listProjectMcpTools, mcpToolSet, type McpToolEntry } from "../../tools/mcp-client-tools.ts";
import type { ToolOutcome } from "../../tools/workspace-tools.ts";

/** Who the notes about MCP servers are from, in the transcript. */
export const MCP_NOTE_AUTHOR = "SAM";

/** Creates the task's MCP tables when missing: the catalog, and whether it was listed. Idempotent. */
export function createMcpTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS mcp_tools (name TEXT PRIMARY KEY, server TEXT NOT NULL, tool TEXT NOT NULL, description TEXT NOT NULL, input_schema TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS mcp_listing (id INTEGER PRIMARY KEY CHECK (id = 1), listed_at TEXT NOT NULL)`);
}

/** What the task's MCP tools need from the task actor. */
export interface TaskMcpHost {
  env: Env;
  sql: SqlStorage;
  /** Journals a note for the model and people (a `message` event); null once the task ended. */
  note(text: string): TranscriptEvent | null;
}

/** The task's MCP tools: listed once, offered to the model, called on its behalf. */
export class TaskMcpTools {
  private readonly host: TaskMcpHost;
  private catalog: McpToolEntry[] | null = null;

  constructor(host: TaskMcpHost) {
    this.host = host;
  }

  /**
   * Lists the project's MCP servers' tools unless this task already did; returns the notes it
   * journaled (a server that could not be listed or opened), to publish. Never throws: a project
   * that cannot be asked is a note too.
   */
  async prepare(projectId: string): Promise<TranscriptEvent[]> {
    const { sql } = this.host;
    if (sql.exec(`SELECT 1 FROM mcp_listing`).toArray().length > 0) return [];
    let servers: McpServerConnection[] = [];
    const failures: string[] = [];
    try {
      const found = await (await getAgentByName(this.host.env.ProjectAgent, projectId)).projectMcpConnections();
      servers = found.servers;
      failures.push(...found.failures);
    } catch (error) {
      failures.push(`The project's MCP servers could not be read (${error instanceof Error ? error.message : String(error)}); this task has only its own tools`);
    }
    const catalog = servers.length > 0 ? await listProjectMcpTools(servers) : { tools: [], failures: [] };
    failures.push(...catalog.failures);
    for (const entry of catalog.tools) {
      sql.exec(`INSERT OR REPLACE INTO mcp_tools (name, server, tool, description, input_schema) VALUES (?, ?, ?, ?, ?)`, entry.name, entry.server, entry.tool, entry.description, JSON.stringify(entry.inputSchema));
    }
    sql.exec(`INSERT OR REPLACE INTO mcp_listing (id, listed_at) VALUES (1, ?)`, new Date().toISOString());
    this.catalog = null;
    return failures.map((text) => this.host.note(text)).filter((event): event is TranscriptEvent => event !== null);
  }

  /** The listed tools as AI SDK definitions (no `execute`), by name; empty when none. */
  toolSet(): ToolSet {
    return mcpToolSet(this.entries());
  }

  /**
   * Runs an `mcp__...` call. Never throws: a tool this task did not list, a server no longer
   * registered, down, slow or refusing gives an error outcome that says so.
   */
  async run(call: RequestedToolCall, signal: AbortSignal, projectId: string): Promise<ToolOutcome> {
    const entry = this.entries().find((e) => e.name === call.toolName);
    if (!entry) {
      const known = this.entries().map((e) => e.name);
      return { output: `no tool ${call.toolName} in this task${known.length ? `; its MCP tools: ${known.join(", ")}` : " (it has no MCP tools: see the notes in its transcript)"}`, isError: true, exitCode: null };
    }
    let server: McpServerConnection | undefined;
    try {
      server = (await (await getAgentByName(this.host.env.ProjectAgent, projectId)).projectMcpConnections()).servers.find((s) => s.name === entry.server);
    } catch (error) {
      return { output: `${call.toolName} failed: the project's MCP servers could not be read (${error instanceof Error ? error.message : String(error)})`, isError: true, exitCode: null };
    }
    if (!server) return { output: `${call.toolName} failed: MCP server ${entry.server} is no longer registered in this project`, isError: true, exitCode: null };
    return callMcpTool(server, entry, call.input, signal);
  }

  private entries(): McpToolEntry[] {
    this.catalog ??= this.host.sql
      .exec<{ name: string; server: string; tool: string; description: string; input_schema: string }>(`SELECT * FROM mcp_tools ORDER BY name`)
      .toArray()
      .map((row) => ({ name: row.name, server: row.server, tool: row.tool, description: row.description, inputSchema: JSON.parse(row.input_schema) as Record<string, unknown> }));
    return this.catalog;
  }
}
