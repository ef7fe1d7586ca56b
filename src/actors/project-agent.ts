/**
 * ProjectAgent: one project (DESIGN.md §1, §2.1). Owns its chat sessions and messages, the list
 * of its tasks and missions (latest view of each), its settings, knowledge and policies, the
 * project-wide cap on running mission tasks, the tech lead (see tech-lead.ts), and the WebSocket
 * clients it fans events out to.
 *
 * WebSocket upgrades reach this actor only through the Worker, which authenticates the caller
 * and passes the user as the `x-sam-user-id` / `x-sam-user-name` headers (stripped from clients).
 */
import { Agent, getAgentByName, type Connection, type ConnectionContext, type WSMessage } from "agents";
import type { ModelMessage } from "ai";
import { z } from "zod";
import { newId, taskIdSchema } from "../ids.ts";
import { taskLimitsOf, type TaskLimits } from "../shared/limits.ts";
import { DEFAULT_MESSAGE_PAGE, MAX_MESSAGE_PAGE, projectSettingsPatchSchema, projectSettingsSchema, type ProjectSettings, type ProjectSettingsPatch } from "../shared/project-settings.ts";
import { techLeadToolSet, type KnowledgeEntry, type Policy } from "../tools/tech-lead-tools.ts";
import {
  chatMessageSchema,
  clientFrameSchema,
  missionViewSchema,
  TERMINAL_TASK_STATUSES,
  taskViewSchema,
  type ChatMessage,
  type ChatSession,
  type FrameErrorCode,
  type MissionView,
  type ServerFrame,
  type SessionKind,
  type TaskView,
  type ToolCard,
  type TranscriptEvent,
  USER_ID_HEADER,
  USER_NAME_HEADER,
} from "../shared/protocol.ts";
import { ensureColumns } from "./sql.ts";
import { mentionsLead, runTechLeadTurn, TECH_LEAD_AUTHOR } from "./tech-lead.ts";


/** Who is on a connection; kept in the connection's attachment so it survives hibernation. */
const connectionUserSchema = z.object({ userId: z.string(), userName: z.string() });
/** A connection's stored state: who it is, and the tasks whose events it receives (`task.watch`). */
const connectionStateSchema = connectionUserSchema.extend({ watching: z.array(z.string()).default([]) });
type ConnectionState = z.infer<typeof connectionStateSchema>;

/** A message to store: who says what. */
export interface NewMessage {
  role: ChatMessage["role"];
  author: string;
  text: string;
}

type SessionRow = {
  id: string;
  title: string;
  kind: SessionKind;
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
  cards_json: string;
  draft_id: string | null;
  created_at: string;
};

/** The project actor. Keyed by project id. */
export class ProjectAgent extends Agent<Env> {
  /** Each session's running tech-lead turn: turns of one session run one after another. */
  private leadTurns = new Map<string, Promise<void>>();
  /** Connection id → the tasks it watches, as in its state (see `watchedBy`). */
  private watching = new Map<string, ReadonlySet<string>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS project (id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL, created_at TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, title TEXT NOT NULL, created_at TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS messages (
      session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
      author TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (session_id, seq))`);
    sql.exec(`CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, view TEXT NOT NULL)`);
    ensureColumns(sql, "sessions", { kind: "TEXT NOT NULL DEFAULT 'chat'" });
    ensureColumns(sql, "messages", { cards_json: "TEXT NOT NULL DEFAULT '[]'", draft_id: "TEXT" });
    sql.exec(`CREATE TABLE IF NOT EXISTS missions (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, view TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS settings (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS policies (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS knowledge (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, text TEXT NOT NULL, created_at TEXT NOT NULL)`);
    sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_fts USING fts5(title, text, content='knowledge', content_rowid='id')`);
    const hadMessageIndex = sql.exec(`SELECT 1 FROM sqlite_master WHERE name = 'messages_fts'`).toArray().length > 0;
    sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(text, message_id UNINDEXED)`);
    if (!hadMessageIndex) sql.exec(`INSERT INTO messages_fts (text, message_id) SELECT text, id FROM messages`);
    // Mission tasks holding one of the project's running slots (released when the task ends).
    sql.exec(`CREATE TABLE IF NOT EXISTS task_slots (task_id TEXT PRIMARY KEY, mission_id TEXT NOT NULL, created_at TEXT NOT NULL)`);
    // Missions waiting for a free slot; woken when one frees.
    sql.exec(`CREATE TABLE IF NOT EXISTS slot_waiters (mission_id TEXT PRIMARY KEY)`);
    // Notices already posted (mission summaries, questions), so a repeated post is ignored.
    sql.exec(`CREATE TABLE IF NOT EXISTS notices (key TEXT PRIMARY KEY, message_id TEXT NOT NULL)`);
    // The tech lead's model conversation per session (its tool calls included).
    sql.exec(`CREATE TABLE IF NOT EXISTS lead_conversation (session_id TEXT NOT NULL, idx INTEGER NOT NULL, message TEXT NOT NULL, PRIMARY KEY (session_id, idx))`);
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

  /** Creates a chat session (`tech-lead`: the tech lead answers every message). Returns it. */
  async createSession(title?: string, kind: SessionKind = "chat"): Promise<ChatSession> {
    const session: SessionRow = { id: newId("session"), title: title?.trim() || "New session", kind, created_at: new Date().toISOString(), last_seq: 0 };
    this.ctx.storage.sql.exec(
      `INSERT INTO sessions (id, title, kind, created_at, last_seq) VALUES (?, ?, ?, ?, 0)`,
      session.id,
      session.title,
      session.kind,
      session.created_at,
    );
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
  async postMessage(sessionId: string, message: NewMessage, extra: { cards?: ToolCard[]; draftId?: string } = {}): Promise<ChatMessage | null> {
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
        cards_json: JSON.stringify(extra.cards ?? []),
        draft_id: extra.draftId ?? null,
        created_at: new Date().toISOString(),
      };
      this.ctx.storage.sql.exec(`UPDATE sessions SET last_seq = ? WHERE id = ?`, seq, sessionId);
      this.ctx.storage.sql.exec(
        `INSERT INTO messages (session_id, seq, id, role, author, text, cards_json, draft_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.session_id,
        row.seq,
        row.id,
        row.role,
        row.author,
        row.text,
        row.cards_json,
        row.draft_id,
        row.created_at,
      );
      this.ctx.storage.sql.exec(`INSERT INTO messages_fts (text, message_id) VALUES (?, ?)`, row.text, row.id);
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
    const watchers = events.length > 0 ? [...this.getConnections<ConnectionState>()].filter((c) => this.watchedBy(c).has(taskId)) : [];
    for (const event of watchers.length > 0 ? events : []) {
      const frame = JSON.stringify({ type: "task.event", taskId, event } satisfies ServerFrame);
      for (const connection of watchers) connection.send(frame);
    }
    if (!view) return;
    const parsed = taskViewSchema.parse(view);
    if (TERMINAL_TASK_STATUSES.includes(parsed.status)) this.releaseTaskSlot(parsed.id);
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
    return this.taskViews();
  }

  /**
   * Stores a person's message and acts on it: `@tsk_...` answers that task's question, and a
   * message to the tech lead (a tech-lead session, or `@lead`) starts its reply. Returns the
   * stored message, or null when the session does not exist.
   */
  async postUserMessage(sessionId: string, user: { id: string; name: string }, text: string): Promise<ChatMessage | null> {
    const stored = await this.postMessage(sessionId, { role: "user", author: user.name, text });
    if (!stored) return null;
    const mentioned = /(?:^|\s)@(tsk_[0-9A-HJKMNP-TV-Z]{26})\b/.exec(text)?.[1];
    if (mentioned && taskIdSchema.safeParse(mentioned).success && this.taskView(mentioned)?.status === "waiting") {
      const answer = text.replace(`@${mentioned}`, "").trim() || text;
      const result = await (await getAgentByName(this.env.TaskAgent, mentioned)).answer(answer, user.name);
      if (!result.ok) await this.postMessage(sessionId, { role: "system", author: "SAM", text: `Task ${mentioned}: ${result.message}.` });
    }
    const session = this.sessionRow(sessionId);
    if (session && (session.kind === "tech-lead" || mentionsLead(text))) this.queueLeadTurn(sessionId, user, text);
    return stored;
  }

  // ---------- settings, policies, knowledge ----------

  /** The project's settings (defaults filled in). */
  async getSettings(): Promise<ProjectSettings> {
    return this.settings();
  }

  /** Applies a settings change; returns the settings after it. @throws ZodError on bad input. */
  async updateSettings(patch: ProjectSettingsPatch): Promise<ProjectSettings> {
    const change = projectSettingsPatchSchema.parse(patch);
    const current = this.settings();
    const next = projectSettingsSchema.parse({
      techLead: change.techLead === undefined ? current.techLead : change.techLead,
      limits: { ...current.limits, ...change.limits },
    });
    this.ctx.storage.sql.exec(`INSERT INTO settings (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json`, JSON.stringify(next));
    return next;
  }

  /** What a starting task takes from its project: the policies' texts and the limits. */
  async taskSettings(): Promise<{ policies: string[]; limits: TaskLimits }> {
    const { limits } = this.settings();
    return {
      policies: this.policies().map((p) => p.text),
      limits: taskLimitsOf(limits),
    };
  }

  /** Adds a policy (part of every task's instructions from now on). Returns it. */
  async addPolicy(text: string, createdBy: string): Promise<Policy> {
    return this.insertPolicy(text, createdBy);
  }

  /** The project's policies, oldest first. */
  async listPolicies(): Promise<Policy[]> {
    return this.policies();
  }

  // ---------- missions ----------

  /** Receives a mission's view: stores it and sends `mission.updated` to every client. */
  async publishMissionUpdate(view: MissionView): Promise<void> {
    const parsed = missionViewSchema.parse(view);
    this.ctx.storage.sql.exec(
      `INSERT INTO missions (id, created_at, updated_at, view) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, view = excluded.view`,
      parsed.id,
      parsed.createdAt,
      parsed.updatedAt,
      JSON.stringify(parsed),
    );
    this.send({ type: "mission.updated", mission: parsed });
  }

  /** The project's missions, newest first, as last reported. Bad rows are skipped. */
  async listMissions(): Promise<MissionView[]> {
    return this.missionViews();
  }

  /**
   * Takes the project's running slots for a mission's tasks, in order, up to the project's cap
   * (idempotent per task id). Returns the task ids granted; when some are refused the mission is
   * woken as soon as a slot frees.
   */
  async acquireTaskSlots(taskIds: string[], missionId: string): Promise<string[]> {
    return this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      let used = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM task_slots`).one().n;
      const cap = this.settings().limits.maxConcurrentTasks;
      const granted: string[] = [];
      for (const taskId of taskIds) {
        if (sql.exec(`SELECT 1 FROM task_slots WHERE task_id = ?`, taskId).toArray().length > 0) {
          granted.push(taskId);
        } else if (used < cap) {
          sql.exec(`INSERT INTO task_slots (task_id, mission_id, created_at) VALUES (?, ?, ?)`, taskId, missionId, new Date().toISOString());
          used += 1;
          granted.push(taskId);
        }
      }
      if (granted.length < taskIds.length) sql.exec(`INSERT OR IGNORE INTO slot_waiters (mission_id) VALUES (?)`, missionId);
      return granted;
    });
  }

  /**
   * Posts a notice (a mission's summary, a task's question) as the tech lead, once per `key`:
   * a repeat returns the first post. Goes to `sessionId`, else the newest session (one is
   * created when the project has none).
   */
  async postNotice(key: string, sessionId: string | null, text: string): Promise<ChatMessage | null> {
    const existing = this.ctx.storage.sql.exec<{ message_id: string }>(`SELECT message_id FROM notices WHERE key = ?`, key).toArray()[0];
    if (existing) return null;
    const target = (sessionId && this.sessionRow(sessionId) ? sessionId : null) ?? this.newestSessionId() ?? (await this.createSession("Activity")).id;
    const stored = await this.postMessage(target, { role: "assistant", author: TECH_LEAD_AUTHOR, text });
    if (stored) this.ctx.storage.sql.exec(`INSERT OR IGNORE INTO notices (key, message_id) VALUES (?, ?)`, key, stored.id);
    return stored;
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

  override onClose(connection: Connection): void {
    this.watching.delete(connection.id);
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
    const user = connectionStateSchema.safeParse(connection.state);
    if (!user.success) return this.sendError(connection, "internal", "connection has no user");
    switch (frame.data.type) {
      case "task.watch": {
        const watching = [...new Set(frame.data.taskIds)];
        connection.setState({ ...user.data, watching });
        this.watching.set(connection.id, new Set(watching));
        return;
      }
      case "chat.send": {
        const stored = await this.postUserMessage(frame.data.sessionId, { id: user.data.userId, name: user.data.userName }, frame.data.text);
        if (!stored) this.sendError(connection, "not_found", `no session ${frame.data.sessionId} in this project`);
        return;
      }
    }
  }

  // ---------- the tech lead ----------

  /** Queues a tech-lead turn after the session's running one (turns of a session never interleave). */
  private queueLeadTurn(sessionId: string, user: { id: string; name: string }, text: string): void {
    const previous = this.leadTurns.get(sessionId) ?? Promise.resolve();
    const turn = previous.then(() => this.leadTurn(sessionId, user, text));
    this.leadTurns.set(sessionId, turn);
    this.ctx.waitUntil(
      turn.finally(() => {
        if (this.leadTurns.get(sessionId) === turn) this.leadTurns.delete(sessionId);
      }),
    );
  }

  /** One reply of the tech lead: streamed to every client, then stored with its cards. Never throws. */
  private async leadTurn(sessionId: string, user: { id: string; name: string }, text: string): Promise<void> {
    const settings = this.settings();
    if (!settings.techLead) {
      await this.postMessage(sessionId, {
        role: "system",
        author: "SAM",
        text: "The tech lead has no model yet. Set one in the project's settings (PATCH /api/projects/:projectId {techLead: {model}}).",
      });
      return;
    }
    const project = this.ctx.storage.sql.exec<{ id: string; name: string }>(`SELECT id, name FROM project LIMIT 1`).toArray()[0];
    const projectId = project?.id ?? this.name;
    const draftId = `draft_${newId("message")}`;
    const history = this.leadHistory(sessionId);
    const userMessage: ModelMessage = { role: "user", content: `${user.name}: ${text}` };
    try {
      const reply = await runTechLeadTurn({
        env: this.env,
        projectId,
        projectName: project?.name ?? "project",
        userId: user.id,
        model: settings.techLead,
        messages: [...history, userMessage],
        tools: techLeadToolSet(this.leadHost(projectId, sessionId, user)),
        onDelta: (delta) => this.send({ type: "chat.delta", sessionId, draftId, author: TECH_LEAD_AUTHOR, delta }),
        onCard: (card) => this.send({ type: "chat.card", sessionId, draftId, card }),
      });
      this.ctx.storage.transactionSync(() => {
        let idx = history.length;
        for (const message of [userMessage, ...reply.responseMessages]) {
          this.ctx.storage.sql.exec(`INSERT INTO lead_conversation (session_id, idx, message) VALUES (?, ?, ?)`, sessionId, idx++, JSON.stringify(message));
        }
      });
      await this.postMessage(sessionId, { role: "assistant", author: TECH_LEAD_AUTHOR, text: reply.text }, { cards: reply.cards, draftId });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`project ${this.name}: tech lead turn failed: ${message}`);
      await this.postMessage(sessionId, { role: "system", author: "SAM", text: `The tech lead could not answer: ${message}` }, { draftId });
    }
  }

  private leadHistory(sessionId: string): ModelMessage[] {
    return this.ctx.storage.sql
      .exec<{ message: string }>(`SELECT message FROM lead_conversation WHERE session_id = ? ORDER BY idx`, sessionId)
      .toArray()
      .map((r) => JSON.parse(r.message) as ModelMessage);
  }

  private leadHost(projectId: string, sessionId: string, user: { id: string; name: string }) {
    return {
      launch: { env: this.env, projectId, userId: user.id },
      userName: user.name,
      sessionId,
      hasTask: (taskId: string) => this.taskView(taskId) !== null,
      hasMission: (missionId: string) => this.ctx.storage.sql.exec(`SELECT 1 FROM missions WHERE id = ?`, missionId).toArray().length > 0,
      listMissions: () => this.missionViews(),
      listTasks: () => this.taskViews(),
      searchMessages: (query: string, limit: number) => this.searchMessageIndex(query, limit),
      addKnowledge: (title: string, text: string) => this.insertKnowledge(title, text),
      searchKnowledge: (query: string, limit: number) => this.searchKnowledgeIndex(query, limit),
      addPolicy: (text: string, createdBy: string) => this.insertPolicy(text, createdBy),
      listPolicies: () => this.policies(),
    };
  }

  // ---------- helpers ----------

  private settings(): ProjectSettings {
    const row = this.ctx.storage.sql.exec<{ json: string }>(`SELECT json FROM settings WHERE id = 1`).toArray()[0];
    const parsed = projectSettingsSchema.safeParse(row ? JSON.parse(row.json) : {});
    return parsed.success ? parsed.data : projectSettingsSchema.parse({});
  }

  private policies(): Policy[] {
    return this.ctx.storage.sql
      .exec<{ id: number; text: string; created_by: string; created_at: string }>(`SELECT * FROM policies ORDER BY id`)
      .toArray()
      .map((r) => ({ id: r.id, text: r.text, createdBy: r.created_by, createdAt: r.created_at }));
  }

  private insertPolicy(text: string, createdBy: string): Policy {
    const createdAt = new Date().toISOString();
    const id = this.ctx.storage.sql
      .exec<{ id: number }>(`INSERT INTO policies (text, created_by, created_at) VALUES (?, ?, ?) RETURNING id`, text, createdBy, createdAt)
      .one().id;
    return { id, text, createdBy, createdAt };
  }

  private insertKnowledge(title: string, text: string): KnowledgeEntry {
    const createdAt = new Date().toISOString();
    return this.ctx.storage.transactionSync(() => {
      const id = this.ctx.storage.sql
        .exec<{ id: number }>(`INSERT INTO knowledge (title, text, created_at) VALUES (?, ?, ?) RETURNING id`, title, text, createdAt)
        .one().id;
      this.ctx.storage.sql.exec(`INSERT INTO knowledge_fts (rowid, title, text) VALUES (?, ?, ?)`, id, title, text);
      return { id, title, text, createdAt };
    });
  }

  private searchKnowledgeIndex(query: string, limit: number): KnowledgeEntry[] {
    return this.ctx.storage.sql
      .exec<{ id: number; title: string; text: string; created_at: string }>(
        `SELECT k.id, k.title, k.text, k.created_at FROM knowledge_fts f JOIN knowledge k ON k.id = f.rowid
         WHERE knowledge_fts MATCH ? ORDER BY rank LIMIT ?`,
        ftsQuery(query),
        limit,
      )
      .toArray()
      .map((r) => ({ id: r.id, title: r.title, text: r.text, createdAt: r.created_at }));
  }

  private searchMessageIndex(query: string, limit: number): ChatMessage[] {
    const rows = this.ctx.storage.sql
      .exec<MessageRow>(
        `SELECT m.* FROM messages_fts f JOIN messages m ON m.id = f.message_id WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?`,
        ftsQuery(query),
        limit,
      )
      .toArray();
    return rows.flatMap((row) => {
      const parsed = chatMessageSchema.safeParse(toMessage(row));
      return parsed.success ? [parsed.data] : [];
    });
  }

  private taskView(taskId: string): TaskView | null {
    const row = this.ctx.storage.sql.exec<{ view: string }>(`SELECT view FROM tasks WHERE id = ?`, taskId).toArray()[0];
    const parsed = row ? taskViewSchema.safeParse(JSON.parse(row.view)) : null;
    return parsed?.success ? parsed.data : null;
  }

  private taskViews(): TaskView[] {
    const rows = this.ctx.storage.sql.exec<{ id: string; view: string }>(`SELECT id, view FROM tasks ORDER BY created_at DESC, id DESC`).toArray();
    return rows.flatMap((row) => {
      const parsed = taskViewSchema.safeParse(JSON.parse(row.view));
      if (parsed.success) return [parsed.data];
      console.error(`project ${this.name}: skipped malformed task row ${row.id}`);
      return [];
    });
  }

  private missionViews(): MissionView[] {
    const rows = this.ctx.storage.sql.exec<{ id: string; view: string }>(`SELECT id, view FROM missions ORDER BY created_at DESC, id DESC`).toArray();
    return rows.flatMap((row) => {
      const parsed = missionViewSchema.safeParse(JSON.parse(row.view));
      if (parsed.success) return [parsed.data];
      console.error(`project ${this.name}: skipped malformed mission row ${row.id}`);
      return [];
    });
  }

  /** Frees a finished task's slot and wakes the missions that waited for one. */
  private releaseTaskSlot(taskId: string): void {
    const waiters = this.ctx.storage.transactionSync(() => {
      if (this.ctx.storage.sql.exec(`DELETE FROM task_slots WHERE task_id = ?`, taskId).rowsWritten === 0) return [];
      const rows = this.ctx.storage.sql.exec<{ mission_id: string }>(`SELECT mission_id FROM slot_waiters`).toArray();
      this.ctx.storage.sql.exec(`DELETE FROM slot_waiters`);
      return rows.map((r) => r.mission_id);
    });
    for (const missionId of waiters) {
      this.ctx.waitUntil(
        getAgentByName(this.env.MissionAgent, missionId)
          .then((mission) => mission.wake())
          .catch((error: unknown) => console.error(`project ${this.name}: waking mission ${missionId} failed: ${String(error)}`)),
      );
    }
  }

  private newestSessionId(): string | null {
    return this.ctx.storage.sql.exec<{ id: string }>(`SELECT id FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1`).toArray()[0]?.id ?? null;
  }

  private sessionRow(sessionId: string): SessionRow | null {
    return this.ctx.storage.sql.exec<SessionRow>(`SELECT * FROM sessions WHERE id = ?`, sessionId).toArray()[0] ?? null;
  }

  /** The tasks `connection` watches; read from its stored state once per instance (it survives hibernation there). */
  private watchedBy(connection: Connection<ConnectionState>): ReadonlySet<string> {
    let watched = this.watching.get(connection.id);
    if (!watched) {
      const state = connectionStateSchema.safeParse(connection.state);
      watched = new Set(state.success ? state.data.watching : []);
      this.watching.set(connection.id, watched);
    }
    return watched;
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
  return { id: row.id, title: row.title, kind: row.kind, createdAt: row.created_at, messageCount: row.last_seq };
}

/** A user's words as an FTS5 query: each word quoted (so punctuation is not syntax), all required. */
function ftsQuery(text: string): string {
  const words = text.split(/\s+/).filter(Boolean).map((w) => `"${w.replaceAll('"', '""')}"`);
  return words.join(" ") || '""';
}

function toMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    sessionId: row.session_id,
    seq: row.seq,
    role: row.role as ChatMessage["role"],
    author: row.author,
    text: row.text,
    cards: JSON.parse(row.cards_json ?? "[]") as ToolCard[],
    draftId: row.draft_id ?? null,
    createdAt: row.created_at,
  };
}
