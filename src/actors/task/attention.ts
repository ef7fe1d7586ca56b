/**
 * What reaches the task from people and the platform while it runs: questions it asks
 * (`ask_human`) and their answers, messages for its model (the inbox, delivered before the next
 * step), and the silence timer with its check-in.
 */
import { getAgentByName } from "agents";
import { TERMINAL_TASK_STATUSES, type TranscriptEvent } from "../../shared/protocol.ts";
import type { ToolOutcome } from "../../tools/workspace-tools.ts";
import type { TaskJournal } from "./journal.ts";
import type { TaskOutbox } from "./outbox.ts";
import type { TaskRowStore } from "./row-store.ts";
import { decideSilence } from "./silence.ts";
import { taskWaitingNotice } from "../user/notices.ts";
import { notifyUser } from "../user/notify.ts";

/**
 * Creates the tables: `answers` (answers to `ask_human` calls, by tool call id) and `inbox`
 * (messages for the model, appended to the conversation before the next step).
 */
export function createAttentionTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS answers (tool_call_id TEXT PRIMARY KEY, author TEXT NOT NULL, text TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`);
}

/** What the attention module needs from its actor. */
export interface AttentionHost {
  env: Env;
  store: TaskRowStore;
  journal: TaskJournal;
  outbox: TaskOutbox;
  /** Whether a `checkSilence` alarm is pending. */
  silenceCheckPending(): boolean;
  /** Schedules `checkSilence` at `at`. */
  scheduleSilenceCheck(at: Date): Promise<void>;
  /** Restarts the loop. */
  kick(): void;
}

/** Questions, answers, inbox and silence of one task actor. */
export class TaskAttention {
  /** False only when this instance knows the inbox holds nothing undelivered (saves a SELECT per step). */
  private inboxMaybePending = true;

  private readonly host: AttentionHost;

  constructor(host: AttentionHost) {
    this.host = host;
    host.store.onRollback(() => {
      this.inboxMaybePending = true;
    });
  }

  /**
   * A person's answer to the question the task waits on: stored for the `ask_human` call,
   * journaled, and the task goes back to `running` (the caller restarts the loop). Returns the
   * events to publish, or null when the task is not waiting for an answer.
   */
  answer(text: string, author: string): TranscriptEvent[] | null {
    const { store, journal } = this.host;
    return store.tx(() => {
      const row = store.mustRow();
      const pending = row.status === "waiting" && row.wait_kind === "human" ? journal.pendingToolCalls().find((c) => c.toolName === "ask_human") : undefined;
      if (!pending) return null;
      store.sql.exec(`INSERT OR IGNORE INTO answers (tool_call_id, author, text) VALUES (?, ?, ?)`, pending.toolCallId, author, text);
      const answered = journal.append({ type: "message", kind: "answer", from: author, text });
      const resumed = store.transition(journal, ["waiting"], "running");
      return resumed ? [answered, resumed] : [answered];
    });
  }

  /**
   * `ask_human`: the answer when one was given; otherwise the task goes to `waiting` (human),
   * the question is posted to the project's chat, and "wait" is returned.
   */
  async ask(toolCallId: string, question: string): Promise<ToolOutcome | "wait"> {
    const { env, store, journal, outbox } = this.host;
    const answer = store.sql.exec<{ author: string; text: string }>(`SELECT author, text FROM answers WHERE tool_call_id = ?`, toolCallId).toArray()[0];
    if (answer) return { output: `${answer.author} answered: ${answer.text}`, isError: false, exitCode: null };
    const row = store.mustRow();
    const event = store.transition(journal, ["running"], "waiting", { waitKind: "human", question });
    if (event) await outbox.publish([event], true, true);
    try {
      const project = await getAgentByName(env.ProjectAgent, row.project_id);
      await project.postNotice(
        `question:${row.id}:${toolCallId}`,
        row.session_id,
        `Task ${row.id} asks: ${question}\n(Answer in the task's answer box, or reply with @${row.id} followed by your answer.)`,
        { id: row.id, name: `task ${row.id}`, kind: "task" },
      );
    } catch (error) {
      // The question is on the task (its view and transcript) even when the chat post fails.
      console.error(`task ${row.id}: posting the question failed: ${String(error)}`);
    }
    // Its starter hears of it (mission and child tasks too: only a person can answer), once per question.
    await notifyUser(env, row.user_id, taskWaitingNotice({ id: row.id, projectId: row.project_id, prompt: row.prompt }, toolCallId, question));
    return "wait";
  }

  /**
   * Puts a message (from the tech lead or a person) in the inbox and journals it. Returns the
   * event, or null once the task has ended.
   * @throws TranscriptLimitError, storing nothing, when the transcript has no room for it.
   */
  message(text: string, from: string): TranscriptEvent | null {
    const { store, journal } = this.host;
    return store.tx(() => {
      const row = store.mustRow();
      if (TERMINAL_TASK_STATUSES.includes(row.status)) return null;
      store.sql.exec(`INSERT INTO inbox (text) VALUES (?)`, `Message from ${from}: ${text}`);
      this.inboxMaybePending = true;
      return journal.append({ type: "message", kind: "message", from, text });
    });
  }

  /** Appends undelivered inbox messages (check-ins, messages) to the conversation, once each. */
  deliverInbox(): void {
    if (!this.inboxMaybePending) return;
    const { store, journal } = this.host;
    store.tx(() => {
      const rows = store.sql.exec<{ id: number; text: string }>(`SELECT id, text FROM inbox WHERE delivered = 0 ORDER BY id`).toArray();
      for (const row of rows) {
        journal.appendMessage({ role: "user", content: row.text });
        store.sql.exec(`UPDATE inbox SET delivered = 1 WHERE id = ?`, row.id);
      }
      this.inboxMaybePending = false;
    });
  }

  /**
   * Sets the silence alarm for `atMs` (epoch ms) unless one is pending; the handler, whose own
   * schedule is still listed while it runs, passes `fromHandler` to set the next one.
   */
  async armSilenceTimer(atMs: number, fromHandler = false): Promise<void> {
    if (!fromHandler && this.host.silenceCheckPending()) return;
    await this.host.scheduleSilenceCheck(new Date(Math.max(atMs, Date.now() + 1)));
  }

  /**
   * The silence alarm (see `decideSilence`): re-arms, or sends the check-in. Returns the reason
   * when the task must fail for silence (the caller ends it), else null. Does nothing unless running.
   */
  async checkSilence(): Promise<string | null> {
    const { store, journal, outbox } = this.host;
    const row = store.row();
    if (!row || row.status !== "running") return null;
    const silenceMs = store.limits().silenceMs;
    const nowMs = Date.now();
    const decision = decideSilence(nowMs, Math.max(row.last_activity_at, journal.lastActivityAtMs), row.checked_in_at, silenceMs);
    switch (decision.kind) {
      case "rearm":
        await this.armSilenceTimer(decision.atMs, true);
        return null;
      case "check_in": {
        const event = store.tx(() => {
          store.recordCheckIn(row.id, nowMs);
          store.sql.exec(`INSERT INTO inbox (text) VALUES (?)`, decision.text);
          this.inboxMaybePending = true;
          return journal.append({ type: "message", kind: "check_in", from: "SAM", text: decision.text });
        });
        await outbox.publish([event], false, true);
        await this.armSilenceTimer(decision.nextAtMs, true);
        return null;
      }
      case "fail":
        return decision.reason;
    }
  }
}

