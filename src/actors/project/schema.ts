/**
 * The project actor's SQLite tables, created in its constructor. Additive only: a table is
 * created when missing, a column added later is added to older tables (`ensureColumns`), an
 * index built later is filled from the rows that predate it. Stored data of existing projects
 * keeps working.
 */
import { ensureColumns } from "../sql.ts";
import { createMcpServerTable } from "./mcp-servers.ts";
import { createRepositoryTable } from "./repository.ts";

/** Creates (or brings up to date) every table of a project actor in `sql`. Idempotent. */
export function createProjectTables(sql: SqlStorage): void {
  // The project's MCP servers (mcp-servers.ts) and its repository (repository.ts), each defined beside its store.
  createMcpServerTable(sql);
  createRepositoryTable(sql);
  // The project's identity (one row, see settings.ts) and its settings (one row, id 1).
  sql.exec(`CREATE TABLE IF NOT EXISTS project (id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`);

  // Chat (chat-store.ts): sessions, their messages numbered by a per-session seq, and their index.
  sql.exec(`CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
      author TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (session_id, seq))`);
  ensureColumns(sql, "sessions", { kind: "TEXT NOT NULL DEFAULT 'chat'" });
  // `author` is the author's name; their id and kind were added later (older rows: see chat-store.ts).
  ensureColumns(sql, "messages", { cards_json: "TEXT NOT NULL DEFAULT '[]'", draft_id: "TEXT", author_id: "TEXT", author_kind: "TEXT" });
  const hadMessageIndex = sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'messages_fts'`).toArray().length > 0;
  sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(text, message_id UNINDEXED)`);
  if (!hadMessageIndex) sql.exec(`INSERT INTO messages_fts (text, message_id) SELECT text, id FROM messages`);
  // Notices already posted (mission summaries, questions), so a repeated post is ignored.
  sql.exec(`CREATE TABLE IF NOT EXISTS notices (key TEXT PRIMARY KEY, message_id TEXT NOT NULL)`);

  // The latest view of each task and mission, as they report it (views.ts).
  sql.exec(`CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, view TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS missions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, view TEXT NOT NULL)`);

  // Policies and knowledge, the latter with its full-text index (knowledge.ts).
  sql.exec(`CREATE TABLE IF NOT EXISTS policies (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS knowledge (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL)`);
  sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_fts USING fts5(title, text, content='knowledge', content_rowid='id')`);

  // Mission tasks holding one of the project's running slots (released when the task ends), and
  // missions waiting for a free slot, woken when one frees (slots.ts).
  sql.exec(`CREATE TABLE IF NOT EXISTS task_slots (task_id TEXT PRIMARY KEY, mission_id TEXT NOT NULL, created_at TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS slot_waiters (mission_id TEXT PRIMARY KEY)`);

  // The tech lead's model conversation per session, its tool calls included (tech-lead/conversation.ts).
  sql.exec(`CREATE TABLE IF NOT EXISTS lead_conversation (session_id TEXT NOT NULL, idx INTEGER NOT NULL, message TEXT NOT NULL, PRIMARY KEY (session_id, idx))`);

  // Triggers (triggers.ts): their definitions (a webhook's secret sealed, a cron trigger's SDK
  // schedule id and the latest due time it fired for), their runs (trigger-runs.ts; one per cron
  // due time at most) and the webhook delivery ids already received.
  sql.exec(`CREATE TABLE IF NOT EXISTS triggers (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, schedule TEXT, template TEXT NOT NULL,
      enabled INTEGER NOT NULL, created_by TEXT NOT NULL, runs_as TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      secret_iv TEXT, secret_ciphertext TEXT, schedule_id TEXT, last_due_ms INTEGER)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS trigger_runs (
      id TEXT PRIMARY KEY, trigger_id TEXT NOT NULL, fired_at TEXT NOT NULL, due_ms INTEGER, delivery_id TEXT,
      outcome TEXT NOT NULL, task_id TEXT, mission_id TEXT, message TEXT)`);
  sql.exec(`CREATE UNIQUE INDEX IF NOT EXISTS trigger_runs_due ON trigger_runs (trigger_id, due_ms)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS trigger_runs_latest ON trigger_runs (trigger_id, fired_at)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS trigger_deliveries (
      trigger_id TEXT NOT NULL, delivery_id TEXT NOT NULL, run_id TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (trigger_id, delivery_id))`);
}
