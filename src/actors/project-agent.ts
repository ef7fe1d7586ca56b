/**
 * ProjectAgent: one project (DESIGN.md §1, §2.1). Owns its chat sessions and messages, the list
 * of its tasks (latest view of each), and the WebSocket clients it fans events out to.
 *
 * WebSocket upgrades reach this actor only through the Worker, which authenticates the caller
 * and passes the user as the `x-sam-user-id` / `x-sam-user-name` headers (stripped from clients).
 */
import { Agent, type Connection, type ConnectionContext, type WSMessage } from "agents";
import { z } from "zod";
import type { Env } from "../env.ts";
import { newId } from "../ids.ts";
import {
  chatMessageSchema,
  clientFrameSchema,
  taskViewSchema,
  type ChatMessage,
  type ChatSession,
  type FrameErrorCode,
  type ServerFrame,
  type TaskView,
  type TranscriptEvent,
} from "./protocol.ts";

/** Header names the Worker uses to pass the authenticated user to the actor. */
export const USER_ID_HEADER = "x-sam-user-id";
export const USER_NAME_HEADER = "x-sam-user-name";

/** Default and maximum page sizes of message history (issue 2). */
export const DEFAULT_MESSAGE_PAGE = 50;
export const MAX_MESSAGE_PAGE = 200;

/** Who is on a connection; kept in the connection's attachment so it survives hibernation. */
const connectionUserSchema = z.object({ userId: z.string(), userName: z.string() });

/** A message to store: who says what. */
export interface NewMessage {
  role: ChatMessage["role"];
  author: string;
  text: string;
}

type SessionRow = {
  id: string;
  title: string;
  created_at: string;
  last_seq: number;
};

type MessageRow = {
  id: string;
  session_id: string;
  seq: number;
  role: string;
  author: string;
  text: string;
  created_at: string;
};

/** The project actor. Keyed by project id. */
export class ProjectAgent extends Agent<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS project (id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
      author TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (session_id, seq))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, view TEXT NOT NULL)`);
  }

  // ---------- RPC ----------

  /** Records the project's identity once; later calls are no-ops. */
  async init(project: { id: string; name: string; ownerId: string; createdAt: string }): Promise<void> {
    this.ctx.storage.sql.exec(
      `INSERT OR IGNORE INTO project (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)`,
      project.id,
      project.name,
      project.ownerId,
      project.createdAt,
    );
  }

  /** Creates a chat session. Returns it. */
  async createSession(title?: string): Promise<ChatSession> {
    const session: SessionRow = { id: newId("session"), title: title?.trim() || "New session", created_at: new Date().toISOString(), last_seq: 0 };
    this.ctx.storage.sql.exec(`INSERT INTO sessions (id, title, created_at, last_seq) VALUES (?, ?, ?, 0)`, session.id, session.title, session.created_at);
    return toSession(session);
  }

  /** All sessions, newest first. */
  async listSessions(): Promise<ChatSession[]> {
    return this.ctx.storage.sql.exec<SessionRow>(`SELECT * FROM sessions ORDER BY created_at DESC, id DESC`).toArray().map(toSession);
  }

  /** Whether `sessionId` is a session of this project. */
  async hasSession(sessionId: string): Promise<boolean> {
    return this.sessionRow(sessionId) !== null;
  }

  /**
   * A page of a session's messages: the `limit` (default 50, max 200) messages just before seq
   * `before` (the latest when absent), oldest first. Rows that fail to parse are skipped.
   */
  async listMessages(sessionId: string, before?: number, limit = DEFAULT_MESSAGE_PAGE): Promise<ChatMessage[]> {
    const size = Math.min(Math.max(Math.trunc(limit), 1), MAX_MESSAGE_PAGE);
    const rows = this.ctx.storage.sql
      .exec<MessageRow>(
        `SELECT * FROM messages WHERE session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
        sessionId,
        before ?? Number.MAX_SAFE_INTEGER,
        size,
      )
      .toArray();
    const messages: ChatMessage[] = [];
    for (const row of rows.reverse()) {
      const parsed = chatMessageSchema.safeParse(toMessage(row));
      if (parsed.success) messages.push(parsed.data);
      else console.error(`project ${this.name}: skipped malformed message row ${row.id}`);
    }
    return messages;
  }

  /**
   * Stores a message with the session's next seq and broadcasts it to every client.
   * Returns the stored message, or null when the session does not exist.
   */
  async postMessage(sessionId: string, message: NewMessage): Promise<ChatMessage | null> {
    const stored = this.ctx.storage.transactionSync(() => {
      const session = this.sessionRow(sessionId);
      if (!session) return null;
      const seq = session.last_seq + 1;
      const row: MessageRow = {
        id: newId("message"),
        session_id: sessionId,
        seq,
        role: message.role,
        author: message.author,
        text: message.text,
        created_at: new Date().toISOString(),
      };
      this.ctx.storage.sql.exec(`UPDATE sessions SET last_seq = ? WHERE id = ?`, seq, sessionId);
      this.ctx.storage.sql.exec(
        `INSERT INTO messages (session_id, seq, id, role, author, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        row.session_id,
        row.seq,
        row.id,
        row.role,
        row.author,
        row.text,
        row.created_at,
      );
      return toMessage(row);
    });
    if (stored) this.send({ type: "chat.message", message: stored });
    return stored;
  }

  /**
   * Receives a task's progress: stores its latest view (when given) and fans out
   * `task.event` frames, then `task.updated`.
   */
  async publishTaskUpdate(taskId: string, events: TranscriptEvent[], view: TaskView | null): Promise<void> {
    for (const event of events) this.send({ type: "task.event", taskId, event });
    if (!view) return;
    const parsed = taskViewSchema.parse(view);
    this.ctx.storage.sql.exec(
      `INSERT INTO tasks (id, created_at, updated_at, view) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, view = excluded.view`,
      parsed.id,
      parsed.createdAt,
      parsed.updatedAt,
      JSON.stringify(parsed),
    );
    this.send({ type: "task.updated", task: parsed });
  }

  /** The project's tasks, newest first, as last reported. Bad rows are skipped. */
  async listTasks(): Promise<TaskView[]> {
    const rows = this.ctx.storage.sql.exec<{ id: string; view: string }>(`SELECT id, view FROM tasks ORDER BY created_at DESC, id DESC`).toArray();
    return rows.flatMap((row) => {
      const parsed = taskViewSchema.safeParse(JSON.parse(row.view));
      if (parsed.success) return [parsed.data];
      console.error(`project ${this.name}: skipped malformed task row ${row.id}`);
      return [];
    });
  }

  // ---------- WebSocket ----------

  override onConnect(connection: Connection, context: ConnectionContext): void {
    const user = connectionUserSchema.safeParse({
      userId: context.request.headers.get(USER_ID_HEADER),
      userName: context.request.headers.get(USER_NAME_HEADER),
    });
    if (!user.success) {
      // Only the Worker's authenticated upgrade sets these; anything else is refused.
      connection.close(4001, "unauthenticated");
      return;
    }
    connection.setState(user.data);
  }

  override async onMessage(connection: Connection, raw: WSMessage): Promise<void> {
    if (typeof raw !== "string") return this.sendError(connection, "invalid_frame", "frames are JSON text");
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return this.sendError(connection, "invalid_json", "the frame is not valid JSON");
    }
    // The Agents SDK's own frames (cf_agent_*) are handled by the SDK; ignore them here.
    if (typeof json === "object" && json !== null && "type" in json && typeof json.type === "string" && json.type.startsWith("cf_agent")) return;
    const frame = clientFrameSchema.safeParse(json);
    if (!frame.success) return this.sendError(connection, "invalid_frame", z.prettifyError(frame.error));
    const user = connectionUserSchema.safeParse(connection.state);
    if (!user.success) return this.sendError(connection, "internal", "connection has no user");
    switch (frame.data.type) {
      case "chat.send": {
        const stored = await this.postMessage(frame.data.sessionId, { role: "user", author: user.data.userName, text: frame.data.text });
        if (!stored) this.sendError(connection, "not_found", `no session ${frame.data.sessionId} in this project`);
        return;
      }
    }
  }

  // ---------- helpers ----------

  private sessionRow(sessionId: string): SessionRow | null {
    return this.ctx.storage.sql.exec<SessionRow>(`SELECT * FROM sessions WHERE id = ?`, sessionId).toArray()[0] ?? null;
  }

  /** Sends a frame to every client of the project. */
  private send(frame: ServerFrame): void {
    this.broadcast(JSON.stringify(frame));
  }

  private sendError(connection: Connection, code: FrameErrorCode, message: string): void {
    const frame: ServerFrame = { type: "error", code, message };
    connection.send(JSON.stringify(frame));
  }
}

function toSession(row: SessionRow): ChatSession {
  return { id: row.id, title: row.title, createdAt: row.created_at, messageCount: row.last_seq };
}

function toMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    sessionId: row.session_id,
    seq: row.seq,
    role: row.role as ChatMessage["role"],
    author: row.author,
    text: row.text,
    createdAt: row.created_at,
  };
}
