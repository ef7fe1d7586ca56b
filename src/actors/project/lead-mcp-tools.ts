/**
 * The project's MCP servers' tools for its tech lead (issue 17): listed when a turn starts and
 * kept for LEAD_MCP_CATALOG_TTL_MS (a server registered or removed drops the list at once), so a
 * chat turn does not wait on every server each time. Each tool runs through
 * src/tools/mcp-client-tools.ts under its deadline; a server's failure is the tool's error for
 * the model (a `ToolFailure`), and the turn goes on. A server that cannot be listed leaves the
 * tech lead with its own tools.
 */
import { tool, jsonSchema, type ToolSet } from "ai";
import type { McpServerConnection } from "../../shared/mcp-servers.ts";
import { callMcpTool, listProjectMcpTools, type McpToolEntry } from "../../tools/mcp-client-tools.ts";
import { ToolFailure } from "../../tools/platform-tools.ts";

/** How long a listing of the servers' tools serves the tech lead's turns (ms). */
export const LEAD_MCP_CATALOG_TTL_MS = 60_000;

/** The tech lead's MCP tools of one project, with the listing cached. */
export class LeadMcpTools {
  private cached: { atMs: number; tools: McpToolEntry[] } | null = null;

  private readonly connections: () => Promise<{ servers: McpServerConnection[]; failures: string[] }>;

  /** `connections` gives the project's servers with their headers opened (McpServerStore.connections). */
  constructor(connections: () => Promise<{ servers: McpServerConnection[]; failures: string[] }>) {
    this.connections = connections;
  }

  /** Drops the cached listing (a server was added or removed). */
  forget(): void {
    this.cached = null;
  }

  /** The servers' tools as AI SDK tools with `execute` (each call opens the server's headers afresh). Never throws; empty when the project has no server. */
  async toolSet(): Promise<ToolSet> {
    const { servers } = await this.connections();
    if (servers.length === 0) return {};
    if (!this.cached || Date.now() - this.cached.atMs > LEAD_MCP_CATALOG_TTL_MS) {
      const catalog = await listProjectMcpTools(servers);
      for (const failure of catalog.failures) console.warn(`tech lead: ${failure}`);
      this.cached = { atMs: Date.now(), tools: catalog.tools };
    }
    const set: ToolSet = {};
    for (const entry of this.cached.tools) {
      set[entry.name] = tool({
        description: entry.description,
        inputSchema: jsonSchema(entry.inputSchema),
        execute: async (input, { abortSignal }) => {
          const server = (await this.connections()).servers.find((s) => s.name === entry.server);
          if (!server) throw new ToolFailure(`MCP server ${entry.server} is no longer registered in this project`);
          const outcome = await callMcpTool(server, entry, input, abortSignal);
          if (outcome.isError) throw new ToolFailure(outcome.output);
          return outcome.output;
        },
      });
    }
    return set;
  }
}
