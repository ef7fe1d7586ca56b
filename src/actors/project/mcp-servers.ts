/**
 * The project's MCP servers (issue 17), in the project actor's SQLite: name (unique in the
 * project), URL, the names of the headers SAM sends, and their values sealed together with
 * AES-GCM under ENCRYPTION_KEY (src/models/credentials.ts; the project and server ids bound in
 * as additional data). Values are opened only for the tasks and tech-lead turns that call the
 * server (`connections`), never returned to clients.
 */
import { newId } from "../../ids.ts";
import { EncryptionUnavailableError, openSecret, sealSecret } from "../../models/credentials.ts";
import { mcpServerCreateSchema, type McpServerConnection, type McpServerCreate, type McpServerView } from "../../shared/mcp-servers.ts";

/** Creates the table of MCP servers when missing. Idempotent. */
export function createMcpServerTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS mcp_servers (
      id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, url TEXT NOT NULL, header_names TEXT NOT NULL,
      headers_iv TEXT, headers_ciphertext TEXT, created_by TEXT NOT NULL, created_at TEXT NOT NULL)`);
}

type Row = {
  id: string;
  name: string;
  url: string;
  header_names: string;
  headers_iv: string | null;
  headers_ciphertext: string | null;
  created_by: string;
  created_at: string;
};

/** The outcome of registering a server: its view, or why not (`conflict`: the name is taken; `encryption_unavailable`: headers cannot be sealed). */
export type McpServerAdded =
  | { ok: true; server: McpServerView }
  | { ok: false; code: "conflict" | "encryption_unavailable"; message: string };

function toView(row: Row): McpServerView {
  return { id: row.id, name: row.name, url: row.url, headerNames: JSON.parse(row.header_names) as string[], createdBy: row.created_by, createdAt: row.created_at };
}

/** The MCP servers of one project. */
export class McpServerStore {
  private readonly sql: SqlStorage;
  private readonly encryptionKey: () => string | undefined;
  private readonly projectId: () => string;

  /** `encryptionKey` gives ENCRYPTION_KEY, `projectId` the project's id (bound into each ciphertext). */
  constructor(sql: SqlStorage, encryptionKey: () => string | undefined, projectId: () => string) {
    this.sql = sql;
    this.encryptionKey = encryptionKey;
    this.projectId = projectId;
  }

  /**
   * Registers a server for `createdBy` (a user id). Headers, when given, are sealed first.
   * @throws ZodError when `input` is not a McpServerCreate.
   */
  async add(input: McpServerCreate, createdBy: string): Promise<McpServerAdded> {
    const server = mcpServerCreateSchema.parse(input);
    if (this.byName(server.name)) return { ok: false, code: "conflict", message: `this project already has an MCP server named ${server.name}` };
    const id = newId("mcpServer");
    const headers = server.headers ?? {};
    const names = Object.keys(headers);
    let sealed: { iv: string; ciphertext: string } | null = null;
    if (names.length > 0) {
      try {
        sealed = await sealSecret(this.encryptionKey(), this.projectId(), id, JSON.stringify(headers));
      } catch (error) {
        if (error instanceof EncryptionUnavailableError) return { ok: false, code: "encryption_unavailable", message: error.message };
        throw error;
      }
    }
    // The name may have been taken while sealing (another request in this actor).
    if (this.byName(server.name)) return { ok: false, code: "conflict", message: `this project already has an MCP server named ${server.name}` };
    const createdAt = new Date().toISOString();
    this.sql.exec(
      `INSERT INTO mcp_servers (id, name, url, header_names, headers_iv, headers_ciphertext, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      server.name,
      server.url,
      JSON.stringify(names),
      sealed?.iv ?? null,
      sealed?.ciphertext ?? null,
      createdBy,
      createdAt,
    );
    return { ok: true, server: { id, name: server.name, url: server.url, headerNames: names, createdBy, createdAt } };
  }

  /** The project's servers, by name, without header values. */
  list(): McpServerView[] {
    return this.sql.exec<Row>(`SELECT * FROM mcp_servers ORDER BY name`).toArray().map(toView);
  }

  /** Removes server `id`; false when the project has none such. */
  delete(id: string): boolean {
    const existed = this.sql.exec(`SELECT 1 FROM mcp_servers WHERE id = ?`, id).toArray().length > 0;
    if (existed) this.sql.exec(`DELETE FROM mcp_servers WHERE id = ?`, id);
    return existed;
  }

  /**
   * Every server with its headers opened, for a task's or a turn's calls. A server whose headers
   * no longer open (ENCRYPTION_KEY changed) is left out, with a sentence in `failures`.
   */
  async connections(): Promise<{ servers: McpServerConnection[]; failures: string[] }> {
    const servers: McpServerConnection[] = [];
    const failures: string[] = [];
    for (const row of this.sql.exec<Row>(`SELECT * FROM mcp_servers ORDER BY name`).toArray()) {
      if (!row.headers_iv || !row.headers_ciphertext) {
        servers.push({ name: row.name, url: row.url, headers: {} });
        continue;
      }
      try {
        const plain = await openSecret(this.encryptionKey(), this.projectId(), row.id, { iv: row.headers_iv, ciphertext: row.headers_ciphertext });
        servers.push({ name: row.name, url: row.url, headers: JSON.parse(plain) as Record<string, string> });
      } catch (error) {
        failures.push(`The headers of MCP server ${row.name} cannot be opened (${error instanceof Error ? error.message : "unknown error"}); register it again`);
      }
    }
    return { servers, failures };
  }

  private byName(name: string): Row | null {
    return this.sql.exec<Row>(`SELECT * FROM mcp_servers WHERE name = ?`, name).toArray()[0] ?? null;
  }
}
