/**
 * TaskAgent: one coding task (DESIGN.md §1, §2.2). Owns its spec, its workspace lease, the tool
 * loop and its append-only transcript, usage and cost, and its result.
 *
 * The loop advances one model step at a time. Each model step and each tool call is journaled
 * in SQLite before the next begins, so after an eviction the loop resumes from the last finished
 * step and never runs a finished tool call again (the scripted model replays by position).
 */
import { Agent, getAgentByName, type FiberRecoveryContext } from "agents";
import type { ModelMessage } from "ai";
import { z } from "zod";
import type { Env } from "../env.ts";
import type { ProjectAgent } from "./project-agent.ts";
import { projectIdSchema, taskIdSchema, userIdSchema } from "../ids.ts";
import { BudgetExceededError, runGatedModelStep, type GatedStepResult } from "../models/gate.ts";
import { scriptSchema, SCRIPT_FINISHED_TEXT } from "../models/scripted.ts";
import type { RequestedToolCall } from "../models/step.ts";
import { openWorkspace } from "../sandbox/open.ts";
import { EXEC_DEFAULT_TIMEOUT_MS, WorkspaceError } from "../sandbox/workspace.ts";
import { runWorkspaceTool, workspaceToolSet } from "../tools/workspace-tools.ts";
import {
  TERMINAL_TASK_STATUSES,
  transcriptEventSchema,
  type NewTranscriptEvent,
  type TaskStatus,
  type TaskView,
  type TranscriptEvent,
} from "./protocol.ts";

/** Steps a task may take when it does not say (issue 2). */
export const DEFAULT_MAX_STEPS = 30;
/** Upper bound on `maxSteps`. */
export const MAX_MAX_STEPS = 1000;
/**
 * How long progress events may wait to be sent together, in ms: short enough to look live to a
 * person, long enough that a fast loop sends one RPC per several steps (see `npm run bench`).
 */
const PUBLISH_BATCH_MS = 25;
/** Cap on a tool output stored in the transcript, in characters (64 KiB, as the exec cap). */
const MAX_STORED_OUTPUT = 64 * 1024;

/** Seed files: at most 1,000 files, paths up to 1,024 characters. */
export const workspaceSeedSchema = z
  .object({ files: z.record(z.string().min(1).max(1024), z.string()).optional() })
  .refine((w) => Object.keys(w.files ?? {}).length <= 1000, { message: "at most 1000 seed files" });

/** What a caller gives to start a task (the API adds ids). */
export const taskRequestSchema = z.object({
  prompt: z.string().trim().min(1).max(100_000),
  model: z.string().min(1).max(200).default("scripted"),
  script: scriptSchema.optional(),
  workspace: workspaceSeedSchema.optional(),
  maxSteps: z.number().int().positive().max(MAX_MAX_STEPS).optional(),
  /** USD the task may spend on model calls; absent: the project's default; null: no task budget. */
  budgetUsd: z.number().positive().max(1_000_000).nullable().optional(),
});

/** Full spec of a task, as `TaskAgent.start` takes it over RPC. */
export const taskSpecSchema = taskRequestSchema.extend({
  id: taskIdSchema,
  projectId: projectIdSchema,
  userId: userIdSchema,
});
export type TaskSpec = z.input<typeof taskSpecSchema>;

const TASK_INSTRUCTIONS = `You are a coding agent working in an isolated workspace mounted at /workspace.
Use the tools to inspect and change files and to run commands (bash has no network access).
Make the smallest change that achieves the goal, verify it by running the relevant commands,
and finish with a short summary of what you did and what you verified.`;

type TaskRow = {
  id: string;
  project_id: string;
  user_id: string;
  prompt: string;
  model: string;
  script_json: string | null;
  max_steps: number;
  seed_json: string | null;
  status: TaskStatus;
  steps: number;
  summary: string | null;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  budget_usd: number | null;
  changed_files_json: string;
  created_at: string;
  updated_at: string;
};

/** Outcome of reading a file of the task's workspace. */
export type TaskFileResult =
  | { ok: true; content: string }
  | { ok: false; code: "not_found" | "path_outside_workspace" | "invalid_input" | "unavailable"; message: string };

/** The task actor. Keyed by task id. */
export class TaskAgent extends Agent<Env> {
  /** Aborts the in-flight model call or command when the task is cancelled. */
  private abort: AbortController | null = null;
  private loopRunning = false;
  /** The project's stub, made once per instance (each `getAgentByName` costs a round trip). */
  private projectStub: Promise<DurableObjectStub<ProjectAgent>> | null = null;
  /** Events (and the latest view) waiting to be sent to the project. */
  private outbox: { events: TranscriptEvent[]; view: TaskView | null } = { events: [], view: null };
  /** The running flush of the outbox, if any; it settles once the outbox is empty. */
  private flushing: Promise<void> | null = null;
  /** Pending delayed flush of progress events. */
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** The conversation as journaled, kept in memory while the loop runs (reloaded on resume). */
  private conversationCache: ModelMessage[] | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS task (
      id TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL, prompt TEXT NOT NULL,
      model TEXT NOT NULL, script_json TEXT, max_steps INTEGER NOT NULL, seed_json TEXT,
      status TEXT NOT NULL, steps INTEGER NOT NULL DEFAULT 0, summary TEXT, error TEXT,
      input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0, changed_files_json TEXT NOT NULL DEFAULT '[]',
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    // Added with budgets; tasks stored before then have no column yet.
    if (!sql.exec<{ name: string }>(`PRAGMA table_info(task)`).toArray().some((c) => c.name === "budget_usd")) {
      sql.exec(`ALTER TABLE task ADD COLUMN budget_usd REAL`);
    }
    sql.exec(`CREATE TABLE IF NOT EXISTS transcript (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, tool_call_id TEXT, data TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS transcript_tool_call ON transcript(tool_call_id, type)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS conversation (idx INTEGER PRIMARY KEY, message TEXT NOT NULL)`);
  }

  // ---------- RPC ----------

  /**
   * Stores the spec and starts the loop. Idempotent: a second call returns the existing view.
   * @throws ZodError when the spec is invalid.
   */
  async start(input: TaskSpec): Promise<TaskView> {
    const spec = taskSpecSchema.parse(input);
    if (!this.row()) {
      const now = new Date().toISOString();
      this.ctx.storage.sql.exec(
        `INSERT INTO task (id, project_id, user_id, prompt, model, script_json, max_steps, seed_json, status, budget_usd, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
        spec.id,
        spec.projectId,
        spec.userId,
        spec.prompt,
        spec.model,
        spec.script ? JSON.stringify(spec.script) : null,
        spec.maxSteps ?? DEFAULT_MAX_STEPS,
        JSON.stringify(spec.workspace?.files ?? {}),
        spec.budgetUsd ?? null,
        now,
        now,
      );
      const event = this.journal({ type: "status", status: "queued" });
      // Awaited so that the project lists the task as soon as the API answers.
      await this.publish([event], true, true);
    }
    this.kick();
    return this.mustView();
  }

  /** The task's current view, or null if this actor holds no task. */
  async getView(): Promise<TaskView | null> {
    const row = this.row();
    return row ? this.toView(row) : null;
  }

  /** Transcript events with seq > `after`, oldest first, at most `limit` (max 1,000). */
  async getTranscript(after = 0, limit = 1000): Promise<TranscriptEvent[]> {
    const rows = this.ctx.storage.sql
      .exec<{ data: string }>(`SELECT data FROM transcript WHERE seq > ? ORDER BY seq LIMIT ?`, after, Math.min(Math.max(limit, 1), 1000))
      .toArray();
    return rows.map((r) => transcriptEventSchema.parse(JSON.parse(r.data)));
  }

  /** Reads a file of the task's workspace (for the API); never throws for expected failures. */
  async readFile(path: string): Promise<TaskFileResult> {
    try {
      return { ok: true, content: await openWorkspace(this.env, this.mustRow().id).read(path) };
    } catch (error) {
      if (error instanceof WorkspaceError) {
        if (error.code === "not_found" || error.code === "is_directory") return { ok: false, code: "not_found", message: error.message };
        if (error.code === "path_outside_workspace" || error.code === "invalid_input") return { ok: false, code: error.code, message: error.message };
        if (error.code === "workspace_unavailable") return { ok: false, code: "not_found", message: "the task has no workspace yet" };
      }
      return { ok: false, code: "unavailable", message: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * Cancels the task unless it already ended; stops the loop at the next boundary and aborts
   * the in-flight model call or command. Returns the view after the change.
   */
  async cancel(reason = "cancelled by a user"): Promise<TaskView> {
    const event = this.transition(["queued", "running", "waiting"], "cancelled", { error: reason });
    if (event) {
      this.abort?.abort(new Error(reason));
      await this.publish([event], true, true);
    }
    return this.mustView();
  }

  // ---------- the loop ----------

  /** Starts the loop in a fiber unless it is already running in this instance. */
  private kick(): void {
    if (this.loopRunning) return;
    const row = this.row();
    if (!row || TERMINAL_TASK_STATUSES.includes(row.status)) return;
    this.loopRunning = true;
    void this.runFiber("task-loop", () => this.loop())
      .catch((error: unknown) => this.failUnexpected(error))
      .finally(() => {
        this.loopRunning = false;
      });
  }

  /** Resumes the loop after an eviction or restart interrupted it. */
  override async onFiberRecovered(ctx: FiberRecoveryContext): Promise<void> {
    if (ctx.name === "task-loop") this.kick();
  }

  private async loop(): Promise<void> {
    const first = this.mustRow();
    if (first.status === "queued") {
      await openWorkspace(this.env, first.id).create(JSON.parse(first.seed_json ?? "{}") as Record<string, string>);
      const event = this.transition(["queued"], "running");
      if (!event) return;
      this.ctx.storage.sql.exec(`UPDATE task SET seed_json = NULL WHERE id = ?`, first.id);
      await this.publish([event], true, true);
    }
    const tools = workspaceToolSet();
    const script = first.script_json ? scriptSchema.parse(JSON.parse(first.script_json)) : undefined;
    // Every model call goes through the gate: payer mode, budgets (user's and this task's), usage.
    const context = { userId: first.user_id, projectId: first.project_id, taskId: first.id, taskBudgetUsd: first.budget_usd };
    const workspace = openWorkspace(this.env, first.id);

    this.conversationCache = null;
    for (;;) {
      const row = this.mustRow();
      if (row.status !== "running") return;
      let pending = this.pendingToolCalls();
      if (pending.length === 0) {
        if (row.steps >= row.max_steps) {
          await this.finish("failed", null, `step limit reached (maxSteps ${row.max_steps})`);
          return;
        }
        this.abort = new AbortController();
        let step: GatedStepResult;
        try {
          step = await runGatedModelStep(this.env, context, row.model, script, {
            instructions: TASK_INSTRUCTIONS,
            messages: this.conversation(row.prompt),
            tools,
            abortSignal: this.abort.signal,
          });
        } catch (error) {
          if (!(error instanceof BudgetExceededError)) throw error;
          await this.finish("failed", null, `budget_exceeded: ${error.message}`);
          return;
        } finally {
          this.abort = null;
        }
        if (this.status() !== "running") return;
        const events = this.recordStep(row, step);
        void this.publish(events, true, false);
        if (step.toolCalls.length === 0) {
          await this.finish("succeeded", step.text.trim() || SCRIPT_FINISHED_TEXT, null);
          return;
        }
        pending = step.toolCalls;
      }
      for (const call of pending) {
        if (this.status() !== "running") return;
        await this.runToolCall(call, workspace);
      }
    }
  }

  /**
   * Journals a finished model step atomically: its messages, the `model_step` event, one
   * `tool_call` event per requested call (journaled before any runs), the step count and usage.
   */
  private recordStep(row: TaskRow, step: GatedStepResult): TranscriptEvent[] {
    const cost = step.costUsd;
    return this.ctx.storage.transactionSync(() => {
      for (const message of step.responseMessages) this.appendMessage(message);
      this.ctx.storage.sql.exec(
        `UPDATE task SET steps = steps + 1, input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
         cost_usd = cost_usd + ?, updated_at = ? WHERE id = ?`,
        step.inputTokens,
        step.outputTokens,
        cost,
        new Date().toISOString(),
        row.id,
      );
      const stepEvent = this.journal({
        type: "model_step",
        step: row.steps + 1,
        text: step.text,
        toolCalls: step.toolCalls,
        finishReason: step.finishReason,
        usage: { inputTokens: step.inputTokens, outputTokens: step.outputTokens, costUsd: cost },
        durationMs: step.durationMs,
      });
      const callEvents = step.toolCalls.map((call) =>
        this.journal({ type: "tool_call", step: row.steps + 1, toolCallId: call.toolCallId, toolName: call.toolName, input: call.input }),
      );
      return [stepEvent, ...callEvents];
    });
  }

  /** Runs one tool call (already journaled with its step) and journals its result. */
  private async runToolCall(call: RequestedToolCall, workspace: ReturnType<typeof openWorkspace>): Promise<void> {
    const step = this.mustRow().steps;
    const started = Date.now();
    this.abort = new AbortController();
    const outcome = await runWorkspaceTool(call.toolName, call.input, workspace, EXEC_DEFAULT_TIMEOUT_MS, this.abort.signal).finally(() => {
      this.abort = null;
    });
    const output = outcome.output.length > MAX_STORED_OUTPUT ? `${outcome.output.slice(0, MAX_STORED_OUTPUT)}\n[truncated]` : outcome.output;
    const modelOutput = outcome.exitCode === null ? output : `exit code: ${outcome.exitCode}\n${output}`;
    const event = this.ctx.storage.transactionSync(() => {
      this.appendMessage({
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: call.toolCallId,
            toolName: call.toolName,
            output: outcome.isError ? { type: "error-text", value: modelOutput } : { type: "text", value: modelOutput },
          },
        ],
      });
      return this.journal({
        type: "tool_result",
        step,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output,
        isError: outcome.isError,
        exitCode: outcome.exitCode,
        durationMs: Date.now() - started,
      });
    });
    void this.publish([event], false, false);
  }

  /** Ends the task (compare-and-set from running), recording the workspace's changed files. */
  private async finish(status: "succeeded" | "failed", summary: string | null, error: string | null): Promise<void> {
    let changedFiles: string[] = [];
    try {
      changedFiles = (await openWorkspace(this.env, this.mustRow().id).diff()).changedFiles;
    } catch {
      // The diff is a convenience; a task's outcome does not depend on it.
    }
    const event = this.transition(["running"], status, { summary, error, changedFiles });
    if (event) await this.publish([event], true, true);
  }

  /** Fails the task when the loop threw (model or workspace unavailable, bad script...). */
  private async failUnexpected(error: unknown): Promise<void> {
    const row = this.row();
    if (!row || row.status === "cancelled") return;
    const message = error instanceof Error ? error.message : String(error);
    const event = this.transition(["queued", "running"], "failed", { error: message });
    if (event) await this.publish([event], true, true);
  }

  // ---------- storage ----------

  private row(): TaskRow | null {
    return this.ctx.storage.sql.exec<TaskRow>(`SELECT * FROM task LIMIT 1`).toArray()[0] ?? null;
  }

  /** Just the status: the loop checks it at every boundary. */
  private status(): TaskStatus | null {
    return this.ctx.storage.sql.exec<{ status: TaskStatus }>(`SELECT status FROM task LIMIT 1`).toArray()[0]?.status ?? null;
  }

  private mustRow(): TaskRow {
    const row = this.row();
    if (!row) throw new Error("this actor holds no task");
    return row;
  }

  private mustView(): TaskView {
    return this.toView(this.mustRow());
  }

  /**
   * Compare-and-set of the status: changes it to `to` only when it is one of `from`, and
   * journals the change. Returns the status event, or null when the status was not in `from`.
   */
  private transition(
    from: TaskStatus[],
    to: TaskStatus,
    fields: { summary?: string | null; error?: string | null; changedFiles?: string[] } = {},
  ): TranscriptEvent | null {
    return this.ctx.storage.transactionSync(() => {
      const row = this.mustRow();
      if (!from.includes(row.status)) return null;
      this.ctx.storage.sql.exec(
        `UPDATE task SET status = ?, summary = COALESCE(?, summary), error = COALESCE(?, error),
         changed_files_json = COALESCE(?, changed_files_json), updated_at = ? WHERE id = ?`,
        to,
        fields.summary ?? null,
        fields.error ?? null,
        fields.changedFiles ? JSON.stringify(fields.changedFiles) : null,
        new Date().toISOString(),
        row.id,
      );
      return this.journal({ type: "status", status: to, ...(fields.error ? { reason: fields.error } : {}) });
    });
  }

  /** Appends an event with the next seq; returns it. */
  private journal(event: NewTranscriptEvent): TranscriptEvent {
    const last = this.ctx.storage.sql.exec<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM transcript`).one().seq ?? 0;
    // Built here from typed parts, so it is not re-validated; reads from storage are.
    const full = { ...event, seq: last + 1, at: new Date().toISOString() } as TranscriptEvent;
    const toolCallId = "toolCallId" in full ? full.toolCallId : null;
    this.ctx.storage.sql.exec(`INSERT INTO transcript (seq, type, tool_call_id, data) VALUES (?, ?, ?, ?)`, full.seq, full.type, toolCallId, JSON.stringify(full));
    return full;
  }

  private hasResult(toolCallId: string): boolean {
    return this.ctx.storage.sql.exec(`SELECT 1 FROM transcript WHERE tool_call_id = ? AND type = 'tool_result' LIMIT 1`, toolCallId).toArray().length > 0;
  }

  private appendMessage(message: ModelMessage): void {
    this.ctx.storage.sql.exec(`INSERT INTO conversation (message) VALUES (?)`, JSON.stringify(message));
    this.conversationCache?.push(message);
  }

  /** The model conversation: the prompt, then every journaled assistant and tool message. */
  private conversation(prompt: string): ModelMessage[] {
    if (!this.conversationCache) {
      this.conversationCache = this.ctx.storage.sql
        .exec<{ message: string }>(`SELECT message FROM conversation ORDER BY idx`)
        .toArray()
        .map((r) => JSON.parse(r.message) as ModelMessage);
    }
    return [{ role: "user", content: prompt }, ...this.conversationCache];
  }

  /** Tool calls of the last model step that have no journaled result yet (after a crash). */
  private pendingToolCalls(): RequestedToolCall[] {
    const lastStep = this.ctx.storage.sql
      .exec<{ data: string }>(`SELECT data FROM transcript WHERE type = 'model_step' ORDER BY seq DESC LIMIT 1`)
      .toArray()[0];
    if (!lastStep) return [];
    const event = transcriptEventSchema.parse(JSON.parse(lastStep.data));
    if (event.type !== "model_step") return [];
    return event.toolCalls.filter((c) => !this.hasResult(c.toolCallId));
  }

  private toView(row: TaskRow): TaskView {
    return {
      id: row.id,
      projectId: row.project_id,
      status: row.status,
      prompt: row.prompt,
      model: row.model,
      steps: row.steps,
      summary: row.summary,
      error: row.error,
      usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens, costUsd: row.cost_usd },
      changedFiles: JSON.parse(row.changed_files_json) as string[],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  /**
   * Queues events (and, when `withView`, the task's view as of now) for the project, which fans
   * them out to clients. Progress events wait up to PUBLISH_BATCH_MS so that one RPC carries
   * several, in journal order, with the latest view; `urgent` ones (status changes) go at once
   * and the returned promise settles when they were delivered. Failures are logged, never
   * thrown: the transcript is the source of truth and clients catch up from it.
   */
  private publish(events: TranscriptEvent[], withView: boolean, urgent: boolean): Promise<void> {
    const row = this.mustRow();
    this.outbox.events.push(...events);
    if (withView) this.outbox.view = this.toView(row);
    if (urgent) return this.drainOutbox(row.id, row.project_id);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.drainOutbox(row.id, row.project_id);
    }, PUBLISH_BATCH_MS);
    return Promise.resolve();
  }

  /** Sends everything queued now; settles when the outbox is empty. */
  private drainOutbox(taskId: string, projectId: string): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    this.flushing ??= this.flushOutbox(taskId, projectId).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOutbox(taskId: string, projectId: string): Promise<void> {
    while (this.outbox.events.length > 0 || this.outbox.view) {
      const batch = this.outbox;
      this.outbox = { events: [], view: null };
      try {
        this.projectStub ??= getAgentByName(this.env.ProjectAgent, projectId);
        await (await this.projectStub).publishTaskUpdate(taskId, batch.events, batch.view);
      } catch (error) {
        this.projectStub = null;
        console.error(`task ${taskId}: publishing to project failed: ${String(error)}`);
      }
    }
  }
}
