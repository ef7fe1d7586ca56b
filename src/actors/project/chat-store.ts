/**
 * The project's chat, stored: sessions, their messages (numbered by a per-session `seq`, 1, 2,
 * … with no gap, taken in the same transaction as the insert), pages of messages, the messages'
 * full-text index, and the record of notices already posted. Storage only: broadcasting a stored
 * message is the actor's job.
 */
import { newId } from "../../ids.ts";
import { DEFAULT_MESSAGE_PAGE, MAX_MESSAGE_PAGE } from "../../shared/project-settings.ts";
import { chatAuthorSchema, chatMessageSchema, type ChatAuthor, type ChatMessage, type ChatSession, type SessionKind, type ToolCard } from "../../shared/protocol.ts";
import { ftsQuery } from "./fts.ts";

/** A message to store: who says what. */
export interface NewMessage {
  role: ChatMessage["role"];
  author: ChatAuthor;
  text: string;
}

/** What a message may carry besides its text: the tool cards of a tech-lead reply, and the draft id it streamed under. */
export interface MessageExtras {
  cards?: ToolCard[];
  draftId?: string;
}

/** A `sessions` row. */
export type SessionRow = {
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
  author_id: string | null;
  author_kind: string | null;
  text: string;
  cards_json: string;
  draft_id: string | null;
  created_at: string;
};

/**
 * How many messages a page holds for a requested `limit`: truncated to an integer and clamped to
 * 1…MAX_MESSAGE_PAGE (DEFAULT_MESSAGE_PAGE when the caller gives none; see shared/project-settings.ts).
 */
export function messagePageSize(limit: number = DEFAULT_MESSAGE_PAGE): number {
  return Math.min(Math.max(Math.trunc(limit), 1), MAX_MESSAGE_PAGE);
}

/** The project's chat tables. `label()` names the project in log lines (read when logging: an actor learns its name after construction). */
export class ChatStore {
  private readonly storage: DurableObjectStorage;
  private readonly label: () => string;

  constructor(storage: DurableObjectStorage, label: () => string) {
    this.storage = storage;
    this.label = label;
  }

  /** Creates a session titled `title` (trimmed; "New session" when blank). Returns it, with no message yet. */
  createSession(title: string | undefined, kind: SessionKind): ChatSession {
    const row: SessionRow = { id: newId("session"), title: title?.trim() || "New session", kind, created_at: new Date().toISOString(), last_seq: 0 };
    this.storage.sql.exec(`INSERT INTO sessions (id, title, kind, created_at, last_seq) VALUES (?, ?, ?, ?, 0)`, row.id, row.title, row.kind, row.created_at);
    return toSession(row);
  }

  /** All sessions, newest first. */
  listSessions(): ChatSession[] {
    return this.storage.sql.exec<SessionRow>(`SELECT * FROM sessions ORDER BY created_at DESC, id DESC`).toArray().map(toSession);
  }

  /** The session's row, or null when the project has no such session. */
  session(sessionId: string): SessionRow | null {
    return this.storage.sql.exec<SessionRow>(`SELECT * FROM sessions WHERE id = ?`, sessionId).toArray()[0] ?? null;
  }

  /** The newest session's id, or null when the project has none. */
  newestSessionId(): string | null {
    return this.storage.sql.exec<{ id: string }>(`SELECT id FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1`).toArray()[0]?.id ?? null;
  }

  /**
   * A page of a session's messages: the `messagePageSize(limit)` messages just before seq
   * `before` (the latest when absent), oldest first. Rows that fail to parse are skipped (and logged).
   */
  listMessages(sessionId: string, before: number | undefined, limit: number | undefined): ChatMessage[] {
    const rows = this.storage.sql
      .exec<MessageRow>(`SELECT * FROM messages WHERE session_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, sessionId, before ?? Number.MAX_SAFE_INTEGER, messagePageSize(limit))
      .toArray();
    const messages: ChatMessage[] = [];
    for (const row of rows.reverse()) {
      const parsed = chatMessageSchema.safeParse(toMessage(row));
      if (parsed.success) messages.push(parsed.data);
      else console.error(`project ${this.label()}: skipped malformed message row ${row.id}`);
    }
    return messages;
  }

  /**
   * Stores `message` as the session's next message (seq = last seq + 1) and indexes its text, in
   * one transaction. Returns it, or null when the session does not exist.
   */
  append(sessionId: string, message: NewMessage, extras: MessageExtras = {}): ChatMessage | null {
    return this.storage.transactionSync(() => {
      const session = this.session(sessionId);
      if (!session) return null;
      const row: MessageRow = {
        id: newId("message"),
        session_id: sessionId,
        seq: session.last_seq + 1,
        role: message.role,
        author: message.author.name,
        author_id: message.author.id,
        author_kind: message.author.kind,
        text: message.text,
        cards_json: JSON.stringify(extras.cards ?? []),
        draft_id: extras.draftId ?? null,
        created_at: new Date().toISOString(),
      };
      const sql = this.storage.sql;
      sql.exec(`UPDATE sessions SET last_seq = ? WHERE id = ?`, row.seq, sessionId);
      sql.exec(
        `INSERT INTO messages (session_id, seq, id, role, author, author_id, author_kind, text, cards_json, draft_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.session_id,
        row.seq,
        row.id,
        row.role,
        row.author,
        row.author_id,
        row.author_kind,
        row.text,
        row.cards_json,
        row.draft_id,
        row.created_at,
      );
      sql.exec(`INSERT INTO messages_fts (text, message_id) VALUES (?, ?)`, row.text, row.id);
      return toMessage(row);
    });
  }

  /** The messages (of every session) matching every word of `query` (see `ftsQuery`), best first, at most `limit`. */
  searchMessages(query: string, limit: number): ChatMessage[] {
    const rows = this.storage.sql
      .exec<MessageRow>(`SELECT m.* FROM messages_fts f JOIN messages m ON m.id = f.message_id WHERE messages_fts MATCH ? ORDER BY rank LIMIT ?`, ftsQuery(query), limit)
      .toArray();
    return rows.flatMap((row) => {
      const parsed = chatMessageSchema.safeParse(toMessage(row));
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** Whether a notice with this `key` was already posted. */
  hasNotice(key: string): boolean {
    return this.storage.sql.exec(`SELECT 1 FROM notices WHERE key = ?`, key).toArray().length > 0;
  }

  /** Records that the notice `key` was posted as message `messageId` (a second record of a key is ignored). */
  recordNotice(key: string, messageId: string): void {
    this.storage.sql.exec(`INSERT OR IGNORE INTO notices (key, message_id) VALUES (?, ?)`, key, messageId);
  }
}

function toSession(row: SessionRow): ChatSession {
  return { id: row.id, title: row.title, kind: row.kind, createdAt: row.created_at, messageCount: row.last_seq };
}

function toMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    sessionId: row.session_id,
    seq: row.seq,
    role: row.role as ChatMessage["role"],
    author: authorOf(row),
    text: row.text,
    cards: JSON.parse(row.cards_json ?? "[]") as ToolCard[],
    draftId: row.draft_id ?? null,
    createdAt: row.created_at,
  };
}

/**
 * The author of a stored message. A message stored before authors had an id and a kind (only a
 * name) gets them from its role: a person's (`user`, id unknown: ""), the tech lead's
 * (`assistant`) or SAM's (`system`).
 */
export function authorOf(row: { role: string; author: string; author_id: string | null; author_kind: string | null }): ChatAuthor {
  const stored = chatAuthorSchema.safeParse({ id: row.author_id, name: row.author, kind: row.author_kind });
  if (stored.success) return stored.data;
  if (row.role === "assistant") return { id: "tech-lead", name: row.author, kind: "tech-lead" };
  if (row.role === "system") return { id: "sam", name: row.author, kind: "system" };
  return { id: "", name: row.author, kind: "user" };
}
