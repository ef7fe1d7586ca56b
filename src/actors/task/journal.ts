/**
 * The task's journal: its append-only transcript (events with seq 1, 2, 3...), the model
 * conversation rebuilt from it, and the tool calls of the last step that have no result yet.
 *
 * Each model step and each tool result is journaled before the next begins, so after an
 * eviction the loop resumes from the last finished step and never runs a finished tool call
 * again. Kept in memory while the actor lives: the last seq and the transcript's size in bytes
 * (one SELECT saved per event; both read together, once) and the conversation (one SELECT saved
 * per step); all are dropped when a transaction rolls back.
 *
 * The transcript holds at most MAX_TRANSCRIPT_BYTES (transcript-limits.ts): an event that would
 * pass it is refused with TranscriptLimitError, and a page of events stops at
 * MAX_TRANSCRIPT_PAGE_BYTES.
 */
import type { ModelMessage } from "ai";
import type { GatedStepResult } from "../../models/gate.ts";
import type { RequestedToolCall } from "../../models/step.ts";
import { transcriptEventSchema, type NewTranscriptEvent, type TranscriptEvent } from "../../shared/protocol.ts";
import type { ToolOutcome } from "../../tools/workspace-tools.ts";
import { toolResultForModel, storedToolOutput } from "./loop-rules.ts";
import type { TaskRow, TaskRowStore } from "./row-store.ts";
import { isCappedEvent, MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPT_PAGE_BYTES, pageTakes, TranscriptLimitError, utf8Length } from "./transcript-limits.ts";

/**
 * How stale the stored `last_activity_at` may get while the loop runs, ms. The silence check
 * reads the live time from memory (`lastActivityAtMs`); the stored one only matters to an
 * instance that lost its memory, and the loop's restart stores a fresh one. Writing it at every
 * event cost one UPDATE per journal entry.
 */
export const ACTIVITY_WRITE_MS = 1000;

/** Most transcript events one `events` call returns (fewer when they pass MAX_TRANSCRIPT_PAGE_BYTES). */
export const MAX_TRANSCRIPT_PAGE = 1000;

/** Creates the journal's tables: `transcript` (events by seq) and `conversation` (model messages by index). */
export function createJournalTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS transcript (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, tool_call_id TEXT, data TEXT NOT NULL)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS transcript_tool_call ON transcript(tool_call_id, type)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS conversation (idx INTEGER PRIMARY KEY, message TEXT NOT NULL)`);
}

/** The transcript and conversation of the task held by `store`'s actor. */
export class TaskJournal {
  /** The transcript's last seq as stored (null: not read yet). */
  private lastSeq: number | null = null;
  /** The transcript's size as stored, UTF-8 bytes of its events (null: not read yet). */
  private storedBytes: number | null = null;
  /**
   * Most bytes the transcript may hold (see `isCappedEvent` for what is refused past it).
   * MAX_TRANSCRIPT_BYTES; a test lowers it on a live actor to reach it quickly.
   */
  maxBytes = MAX_TRANSCRIPT_BYTES;
  /** The conversation as journaled, without the prompt (null: not read yet). */
  private conversationCache: ModelMessage[] | null = null;
  /** When the task last made progress, epoch ms; stored at most every ACTIVITY_WRITE_MS. */
  lastActivityAtMs = 0;

  private readonly store: TaskRowStore;

  constructor(store: TaskRowStore) {
    this.store = store;
    store.onRollback(() => {
      this.lastSeq = null;
      this.storedBytes = null;
      this.conversationCache = null;
    });
  }

  /**
   * Appends an event with the next seq and the time now; returns it. Any event but a check-in
   * is progress: it moves `lastActivityAtMs` and clears a check-in (stored now and then, see
   * ACTIVITY_WRITE_MS).
   * @throws TranscriptLimitError, storing nothing, when the event is one `isCappedEvent` refuses
   *   and it would take the transcript past `maxBytes`.
   */
  append(event: NewTranscriptEvent): TranscriptEvent {
    const sql = this.store.sql;
    if (this.lastSeq === null || this.storedBytes === null) {
      const stored = sql
        .exec<{ seq: number | null; bytes: number }>(`SELECT MAX(seq) AS seq, COALESCE(SUM(length(CAST(data AS BLOB))), 0) AS bytes FROM transcript`)
        .one();
      this.lastSeq = stored.seq ?? 0;
      this.storedBytes = stored.bytes;
    }
    // Built here from typed parts, so it is not re-validated; reads from storage are.
    const full = { ...event, seq: this.lastSeq + 1, at: new Date().toISOString() } as TranscriptEvent;
    const data = JSON.stringify(full);
    const bytes = utf8Length(data);
    if (isCappedEvent(event) && this.storedBytes + bytes > this.maxBytes) throw new TranscriptLimitError(this.maxBytes);
    const toolCallId = "toolCallId" in full ? full.toolCallId : null;
    sql.exec(`INSERT INTO transcript (seq, type, tool_call_id, data) VALUES (?, ?, ?, ?)`, full.seq, full.type, toolCallId, data);
    this.lastSeq = full.seq;
    this.storedBytes += bytes;
    if (full.type !== "message" || full.kind !== "check_in") {
      const nowMs = Date.now();
      this.lastActivityAtMs = nowMs;
      const row = this.store.row();
      if (!row || row.checked_in_at !== null || nowMs - row.last_activity_at >= ACTIVITY_WRITE_MS) this.store.recordActivity(nowMs);
    }
    return full;
  }

  /**
   * Events with seq > `after`, oldest first: at most `limit` (clamped to 1..MAX_TRANSCRIPT_PAGE),
   * and fewer when they pass MAX_TRANSCRIPT_PAGE_BYTES (see `pageTakes`; at least one). A client
   * reads on with `after` = the last seq returned until a page comes back empty.
   */
  events(after: number, limit: number): TranscriptEvent[] {
    const rows = this.store.sql.exec<{ data: string; bytes: number }>(
      `SELECT data, length(CAST(data AS BLOB)) AS bytes FROM transcript WHERE seq > ? ORDER BY seq LIMIT ?`,
      after,
      Math.min(Math.max(limit, 1), MAX_TRANSCRIPT_PAGE),
    );
    const page: TranscriptEvent[] = [];
    let pageBytes = 0;
    for (const row of rows) {
      if (!pageTakes(page.length, pageBytes, row.bytes, MAX_TRANSCRIPT_PAGE_BYTES)) break;
      page.push(transcriptEventSchema.parse(JSON.parse(row.data)));
      pageBytes += row.bytes;
    }
    return page;
  }

  /** Appends a message to the model conversation. */
  appendMessage(message: ModelMessage): void {
    this.store.sql.exec(`INSERT INTO conversation (message) VALUES (?)`, JSON.stringify(message));
    this.conversationCache?.push(message);
  }

  /** The model conversation: the prompt, then every journaled message (read from storage once). */
  conversation(prompt: string): ModelMessage[] {
    this.conversationCache ??= this.store.sql
      .exec<{ message: string }>(`SELECT message FROM conversation ORDER BY idx`)
      .toArray()
      .map((r) => JSON.parse(r.message) as ModelMessage);
    return [{ role: "user", content: prompt }, ...this.conversationCache];
  }

  /** Forgets the conversation kept in memory: the next `conversation` reads it from storage. */
  reloadConversation(): void {
    this.conversationCache = null;
  }

  /** Tool calls of the last model step that have no journaled result yet (after a crash, or while waiting). */
  pendingToolCalls(): RequestedToolCall[] {
    const lastStep = this.store.sql
      .exec<{ data: string }>(`SELECT data FROM transcript WHERE type = 'model_step' ORDER BY seq DESC LIMIT 1`)
      .toArray()[0];
    if (!lastStep) return [];
    const event = transcriptEventSchema.parse(JSON.parse(lastStep.data));
    if (event.type !== "model_step") return [];
    return event.toolCalls.filter((c) => !this.hasResult(c.toolCallId));
  }

  private hasResult(toolCallId: string): boolean {
    return this.store.sql.exec(`SELECT 1 FROM transcript WHERE tool_call_id = ? AND type = 'tool_result' LIMIT 1`, toolCallId).toArray().length > 0;
  }

  /**
   * Journals a finished model step atomically: its messages, the `model_step` event, one
   * `tool_call` event per requested call (journaled before any runs), the step count and usage.
   * `row` is the row as it was before the step. Returns the events, in order.
   * @throws TranscriptLimitError when the step does not fit in the transcript: nothing of it is
   *   journaled but its count and usage (the call was made and paid for).
   */
  recordStep(row: TaskRow, step: GatedStepResult): TranscriptEvent[] {
    const usage = { inputTokens: step.inputTokens, outputTokens: step.outputTokens, costUsd: step.costUsd };
    try {
      return this.journalStep(row, step, usage);
    } catch (error) {
      if (error instanceof TranscriptLimitError) this.store.addStep(row.id, usage);
      throw error;
    }
  }

  private journalStep(row: TaskRow, step: GatedStepResult, usage: { inputTokens: number; outputTokens: number; costUsd: number }): TranscriptEvent[] {
    return this.store.tx(() => {
      for (const message of step.responseMessages) this.appendMessage(message);
      this.store.addStep(row.id, usage);
      const stepEvent = this.append({
        type: "model_step",
        step: row.steps + 1,
        text: step.text,
        toolCalls: step.toolCalls,
        finishReason: step.finishReason,
        usage,
        durationMs: step.durationMs,
      });
      const callEvents = step.toolCalls.map((call) =>
        this.append({ type: "tool_call", step: row.steps + 1, toolCallId: call.toolCallId, toolName: call.toolName, input: call.input }),
      );
      return [stepEvent, ...callEvents];
    });
  }

  /**
   * Journals a tool call's result atomically: the `tool` message for the model and the
   * `tool_result` event (output capped, see `storedToolOutput`). Returns the event.
   * @throws TranscriptLimitError, journaling nothing, when the result does not fit in the transcript.
   */
  recordToolResult(call: RequestedToolCall, step: number, outcome: ToolOutcome, durationMs: number): TranscriptEvent {
    const output = storedToolOutput(outcome.output);
    return this.store.tx(() => {
      this.appendMessage(toolResultForModel(call, outcome, output));
      return this.append({
        type: "tool_result",
        step,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output,
        isError: outcome.isError,
        exitCode: outcome.exitCode,
        durationMs,
      });
    });
  }
}
