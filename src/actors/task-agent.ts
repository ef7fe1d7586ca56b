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
import type { ProjectAgent } from "./project-agent.ts";
import { newId } from "../ids.ts";
import { taskLimitsSchema, type TaskLimits } from "../shared/limits.ts";
import { DEFAULT_MAX_STEPS, taskSpecSchema, type TaskSpec } from "../shared/task-spec.ts";
import { registerTask } from "../indexes.ts";
import {
  admitAhead,
  AHEAD_OUTPUT_ALLOWANCE_CHARS,
  BudgetExceededError,
  releaseAdmission,
  runGatedModelStep,
  stepInputChars,
  type GatedStepResult,
  type StepAdmission,
} from "../models/gate.ts";
import { scriptSchema, SCRIPT_FINISHED_TEXT, type ScriptStep } from "../shared/script.ts";
import type { RequestedToolCall } from "../models/step.ts";
import { openWorkspace } from "../sandbox/open.ts";
import { EXEC_DEFAULT_TIMEOUT_MS, WorkspaceError } from "../sandbox/workspace.ts";
import { isPlatformTool, platformToolInputs, platformToolSet } from "../tools/task-platform-tools.ts";
import { runWorkspaceTool, workspaceToolSet, type ToolOutcome } from "../tools/workspace-tools.ts";
import type { MissionAgent } from "./mission-agent.ts";
import { ensureColumns, transactionDroppingCaches } from "./sql.ts";
import {
  TERMINAL_TASK_STATUSES,
  transcriptEventSchema,
  type NewTranscriptEvent,
  type TaskStatus,
  type TaskView,
  type TranscriptEvent,
} from "../shared/protocol.ts";

/**
 * How long progress events may wait to be sent together, in ms: short enough to look live to a
 * person, long enough that a fast loop sends one RPC per several steps (see `npm run bench`).
 */
const PUBLISH_BATCH_MS = 25;
/** Cap on a tool output stored in the transcript, in characters (64 KiB, as the exec cap). */
const MAX_STORED_OUTPUT = 64 * 1024;
/**
 * How stale the stored `last_activity_at` may get while the loop runs, ms. The silence check
 * reads the live time from memory; the stored one only matters to an instance that lost its
 * memory, and the loop's restart stores a fresh one. Writing it at every event cost one UPDATE
 * per journal entry.
 */
const ACTIVITY_WRITE_MS = 1000;

const TASK_INSTRUCTIONS = `You are a coding agent working in an isolated workspace mounted at /workspace.
Use the tools to inspect and change files and to run commands (bash has no network access).
You may split work into child tasks (dispatch_task, then wait_for_tasks) and ask a person
(ask_human) when only they can decide. Make the smallest change that achieves the goal, verify
it by running the relevant commands, and finish with a short summary of what you did and what
you verified.`;

/** How often a task waiting on children checks them itself, in s: the bound on a lost report. */
const CHILD_WATCHDOG_SECONDS = 60;

/** The task's row without its bulky inputs (script, workspace seed): read at every step boundary. */
type TaskRow = {
  id: string;
  project_id: string;
  user_id: string;
  prompt: string;
  model: string;
  max_steps: number;
  status: TaskStatus;
  steps: number;
  summary: string | null;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  budget_usd: number | null;
  mission_budget_usd: number | null;
  changed_files_json: string;
  mission_id: string | null;
  parent_task_id: string | null;
  depth: number;
  session_id: string | null;
  policies_json: string;
  limits_json: string;
  wait_kind: "children" | "human" | null;
  question: string | null;
  last_activity_at: number;
  checked_in_at: number | null;
  created_at: string;
  updated_at: string;
};

/** Columns of the task table added after its first version (name → SQL declaration). */
const TASK_LATER_COLUMNS: Record<string, string> = {
  budget_usd: "REAL",
  mission_budget_usd: "REAL",
  mission_id: "TEXT",
  parent_task_id: "TEXT",
  depth: "INTEGER NOT NULL DEFAULT 0",
  session_id: "TEXT",
  policies_json: "TEXT NOT NULL DEFAULT '[]'",
  limits_json: "TEXT NOT NULL DEFAULT '{}'",
  wait_kind: "TEXT",
  question: "TEXT",
  // Epoch ms of the last progress (a step, a tool result, a message); check-ins do not count.
  last_activity_at: "INTEGER NOT NULL DEFAULT 0",
  checked_in_at: "INTEGER",
};

/** The columns of TaskRow, in the order of its type. */
const TASK_ROW_COLUMNS = [
  "id", "project_id", "user_id", "prompt", "model", "max_steps", "status", "steps", "summary", "error", "input_tokens",
  "output_tokens", "cost_usd", "budget_usd", "mission_budget_usd", "changed_files_json", "mission_id", "parent_task_id",
  "depth", "session_id", "policies_json", "limits_json", "wait_kind", "question", "last_activity_at", "checked_in_at",
  "created_at", "updated_at",
] as const satisfies readonly (keyof TaskRow)[];
const SELECT_TASK_ROW = `SELECT ${TASK_ROW_COLUMNS.join(", ")} FROM task LIMIT 1`;

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
  /**
   * The task row as stored, read once and dropped by every write to the table (`writeTask`) and
   * every failed transaction (`tx`): the loop reads it several times per step.
   */
  private rowCache: TaskRow | null = null;
  /** The transcript's last seq as stored (null: not read yet); kept like `rowCache`. */
  private lastSeq: number | null = null;
  /** When the task last made progress, ms since epoch; stored at most every ACTIVITY_WRITE_MS. */
  private lastActivityAt = 0;
  /** False only when this instance knows the inbox holds nothing undelivered. */
  private inboxMaybePending = true;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    // A new actor gets every column at once (12 ALTER TABLEs cost ~6 ms per new task); an actor
    // made by an older version gets the columns added since.
    sql.exec(`CREATE TABLE IF NOT EXISTS task (
      id TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL, prompt TEXT NOT NULL,
      model TEXT NOT NULL, script_json TEXT, max_steps INTEGER NOT NULL, seed_json TEXT,
      status TEXT NOT NULL, steps INTEGER NOT NULL DEFAULT 0, summary TEXT, error TEXT,
      input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0, changed_files_json TEXT NOT NULL DEFAULT '[]',
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      ${Object.entries(TASK_LATER_COLUMNS).map(([name, declaration]) => `${name} ${declaration}`).join(", ")})`);
    ensureColumns(sql, "task", TASK_LATER_COLUMNS);
    sql.exec(`CREATE TABLE IF NOT EXISTS transcript (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, tool_call_id TEXT, data TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS transcript_tool_call ON transcript(tool_call_id, type)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS conversation (idx INTEGER PRIMARY KEY, message TEXT NOT NULL)`);
    // Children by idempotency key: a retried dispatch finds its child here.
    sql.exec(`CREATE TABLE IF NOT EXISTS children (idempotency_key TEXT PRIMARY KEY, task_id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)`);
    // Answers to ask_human calls, by tool call id.
    sql.exec(`CREATE TABLE IF NOT EXISTS answers (tool_call_id TEXT PRIMARY KEY, author TEXT NOT NULL, text TEXT NOT NULL)`);
    // Messages for the model (check-ins, messages), appended to the conversation before the next step.
    sql.exec(`CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0)`);
  }

  // ---------- RPC ----------

  /**
   * Stores the spec and starts the loop. Idempotent: a second call returns the existing view.
   * @throws ZodError when the spec is invalid.
   */
  async start(input: TaskSpec): Promise<TaskView> {
    const spec = taskSpecSchema.parse(input);
    if (!this.row()) {
      // A mission or a parent passes what it already has: one round trip less per task.
      const settings =
        spec.policies && spec.limits
          ? { policies: spec.policies, limits: spec.limits }
          : await (await getAgentByName(this.env.ProjectAgent, spec.projectId)).taskSettings();
      const now = new Date().toISOString();
      const inserted = this.writeTask(
        `INSERT OR IGNORE INTO task (id, project_id, user_id, prompt, model, script_json, max_steps, seed_json, status, budget_usd,
         mission_budget_usd, mission_id, parent_task_id, depth, session_id, policies_json, limits_json, last_activity_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        spec.id,
        spec.projectId,
        spec.userId,
        spec.prompt,
        spec.model,
        spec.script ? JSON.stringify(spec.script) : null,
        spec.maxSteps ?? DEFAULT_MAX_STEPS,
        JSON.stringify(spec.workspace?.files ?? {}),
        spec.budgetUsd ?? null,
        spec.missionBudgetUsd ?? null,
        spec.missionId ?? null,
        spec.parentTaskId ?? null,
        spec.depth,
        spec.sessionId ?? null,
        JSON.stringify(settings.policies),
        JSON.stringify(settings.limits),
        Date.now(),
        now,
        now,
      ).rowsWritten;
      if (inserted > 0) {
        const event = this.journal({ type: "status", status: "queued" });
        // A task started on its own is awaited so that the project lists it as soon as the API
        // answers. A mission's task is listed by its mission: its `queued` rides along with the
        // next publish (a 100-task mission sends 100 RPCs to the project less while it starts).
        if (spec.missionId) void this.publish([event], true, false);
        else await this.publish([event], true, true);
      }
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
      await this.afterEnd();
    }
    return this.mustView();
  }

  /**
   * A person's answer to the question the task waits on (`ask_human`): journaled, given to the
   * model as the tool's result, and the loop resumes. Returns the view, or an error when the
   * task is not waiting for an answer.
   */
  async answer(text: string, author: string): Promise<{ ok: true; task: TaskView } | { ok: false; message: string }> {
    const event = this.tx(() => {
      const row = this.mustRow();
      const pending = row.status === "waiting" && row.wait_kind === "human" ? this.pendingToolCalls().find((c) => c.toolName === "ask_human") : undefined;
      if (!pending) return null;
      this.ctx.storage.sql.exec(`INSERT OR IGNORE INTO answers (tool_call_id, author, text) VALUES (?, ?, ?)`, pending.toolCallId, author, text);
      const answered = this.journal({ type: "message", kind: "answer", from: author, text });
      const resumed = this.transition(["waiting"], "running");
      return resumed ? [answered, resumed] : [answered];
    });
    if (!event) return { ok: false, message: "the task is not waiting for an answer" };
    await this.publish(event, true, true);
    this.kick();
    return { ok: true, task: this.mustView() };
  }

  /**
   * Gives the task's model a message (from the tech lead or a person): journaled now, added to
   * the conversation before the next model step. Refused once the task has ended.
   */
  async sendMessage(text: string, from: string): Promise<{ ok: true } | { ok: false; message: string }> {
    const event = this.tx(() => {
      const row = this.mustRow();
      if (TERMINAL_TASK_STATUSES.includes(row.status)) return null;
      this.ctx.storage.sql.exec(`INSERT INTO inbox (text) VALUES (?)`, `Message from ${from}: ${text}`);
      this.inboxMaybePending = true;
      return this.journal({ type: "message", kind: "message", from, text });
    });
    if (!event) return { ok: false, message: "the task has ended" };
    await this.publish([event], false, true);
    return { ok: true };
  }

  /** A child reports that it ended: wakes this task if it waits on its children. */
  async childEnded(childId: string): Promise<void> {
    if (!this.childIds().includes(childId)) return;
    await this.wakeIfChildrenDone();
  }

  /** The spec this task was started with (for `retry_task`), or null if this actor holds none. */
  async getSpec(): Promise<TaskSpec | null> {
    const row = this.row();
    if (!row) return null;
    return {
      id: row.id,
      projectId: row.project_id,
      userId: row.user_id,
      prompt: row.prompt,
      model: row.model,
      script: this.script(),
      maxSteps: row.max_steps,
      missionId: row.mission_id ?? undefined,
      parentTaskId: row.parent_task_id ?? undefined,
      depth: row.depth,
      sessionId: row.session_id ?? undefined,
      policies: JSON.parse(row.policies_json) as string[],
    };
  }

  /** Alarm callback: fails or checks in on a running task that made no progress (issue 3). */
  async checkSilence(): Promise<void> {
    const row = this.row();
    if (!row || row.status !== "running") return;
    const silenceMs = this.limits().silenceMs;
    const now = Date.now();
    const lastActivity = Math.max(row.last_activity_at, this.lastActivityAt);
    const quietFor = now - lastActivity;
    if (quietFor < silenceMs) return this.armSilenceTimer(lastActivity + silenceMs, true);
    if (row.checked_in_at === null) {
      const text = `Check-in: no progress for ${Math.round(quietFor / 1000)} s. Report what you are doing and continue, or finish with a summary.`;
      const event = this.tx(() => {
        this.writeTask(`UPDATE task SET checked_in_at = ? WHERE id = ?`, now, row.id);
        this.ctx.storage.sql.exec(`INSERT INTO inbox (text) VALUES (?)`, text);
        this.inboxMaybePending = true;
        return this.journal({ type: "message", kind: "check_in", from: "SAM", text });
      });
      await this.publish([event], false, true);
      return this.armSilenceTimer(now + silenceMs, true);
    }
    if (now - row.checked_in_at < silenceMs) return this.armSilenceTimer(row.checked_in_at + silenceMs, true);
    const reason = `no progress for ${Math.round(quietFor / 1000)} s, and none after a check-in`;
    const event = this.transition(["running"], "failed", { error: reason });
    if (event) {
      this.abort?.abort(new Error(reason));
      await this.publish([event], true, true);
      await this.afterEnd();
    }
  }

  /** Alarm callback while waiting on children: catches a lost report from a child. */
  async checkChildren(): Promise<void> {
    const row = this.row();
    if (!row || row.status !== "waiting" || row.wait_kind !== "children") return;
    if (!(await this.wakeIfChildrenDone())) await this.schedule(CHILD_WATCHDOG_SECONDS, "checkChildren", undefined, { idempotent: true });
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
      const seed = this.ctx.storage.sql.exec<{ seed_json: string | null }>(`SELECT seed_json FROM task LIMIT 1`).one().seed_json;
      await openWorkspace(this.env, first.id).create(JSON.parse(seed ?? "{}") as Record<string, string>);
      const event = this.transition(["queued"], "running");
      if (!event) return;
      this.writeTask(`UPDATE task SET seed_json = NULL WHERE id = ?`, first.id);
      await this.publish([event], true, true);
    }
    // (Re)starting the loop is progress: the silence timer counts from here.
    this.lastActivityAt = Date.now();
    this.writeTask(`UPDATE task SET last_activity_at = ?, checked_in_at = NULL WHERE id = ?`, this.lastActivityAt, first.id);
    await this.armSilenceTimer(Date.now() + this.limits().silenceMs);
    const tools = { ...workspaceToolSet(), ...platformToolSet() };
    const policies = JSON.parse(first.policies_json) as string[];
    const instructions = policies.length ? `${TASK_INSTRUCTIONS}\n\nProject policies (always follow them):\n${policies.map((p) => `- ${p}`).join("\n")}` : TASK_INSTRUCTIONS;
    const script = this.script();
    // Every model call goes through the gate: payer mode, budgets (user's and this task's), usage.
    const context = {
      userId: first.user_id,
      projectId: first.project_id,
      taskId: first.id,
      taskBudgetUsd: first.budget_usd,
      missionId: first.mission_id ?? undefined,
      missionBudgetUsd: first.mission_budget_usd,
    };
    const workspace = openWorkspace(this.env, first.id);

    this.conversationCache = null;
    // The next step's admission, asked for while this step's tools run; released if unused.
    let ahead: StepAdmission | null = null;
    // Calls journaled but without a result: read from the journal once (a resumed loop); after
    // that the loop itself knows (every call it runs gets its result journaled).
    let pending = this.pendingToolCalls();
    try {
      for (;;) {
        const row = this.mustRow();
        if (row.status !== "running") return;
        if (pending.length === 0) {
          if (row.steps >= row.max_steps) {
            await this.finish("failed", null, `step limit reached (maxSteps ${row.max_steps})`);
            return;
          }
          this.deliverInbox();
          this.abort = new AbortController();
          let step: GatedStepResult;
          try {
            const admission = ahead;
            ahead = null;
            step = await runGatedModelStep(
              this.env,
              context,
              row.model,
              script,
              { instructions, messages: this.conversation(row.prompt), tools, abortSignal: this.abort.signal },
              admission,
            );
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
          // Tools that cannot make the task wait: admit the next step meanwhile (one round trip less).
          if (row.steps + 1 < row.max_steps && pending.every((call) => !isPlatformTool(call.toolName))) {
            const inputChars = stepInputChars(instructions, this.conversation(row.prompt)) + pending.length * AHEAD_OUTPUT_ALLOWANCE_CHARS;
            ahead = admitAhead(this.env, context, row.model, inputChars);
          }
        }
        for (const call of pending) {
          if (this.status() !== "running") return;
          if (!(await this.runToolCall(call, workspace))) return; // the task now waits
        }
        pending = [];
      }
    } finally {
      if (ahead) void releaseAdmission(ahead);
    }
  }

  /**
   * Journals a finished model step atomically: its messages, the `model_step` event, one
   * `tool_call` event per requested call (journaled before any runs), the step count and usage.
   */
  private recordStep(row: TaskRow, step: GatedStepResult): TranscriptEvent[] {
    const cost = step.costUsd;
    return this.tx(() => {
      for (const message of step.responseMessages) this.appendMessage(message);
      this.writeTask(
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

  /**
   * Runs one tool call (already journaled with its step) and journals its result. Returns false
   * when the call made the task wait (children or a person) instead of producing a result yet.
   */
  private async runToolCall(call: RequestedToolCall, workspace: ReturnType<typeof openWorkspace>): Promise<boolean> {
    const step = this.mustRow().steps;
    const started = Date.now();
    this.abort = new AbortController();
    const outcome = await (isPlatformTool(call.toolName)
      ? this.runPlatformTool(call)
      : runWorkspaceTool(call.toolName, call.input, workspace, EXEC_DEFAULT_TIMEOUT_MS, this.abort.signal)
    ).finally(() => {
      this.abort = null;
    });
    if (outcome === "wait") return false;
    const output = outcome.output.length > MAX_STORED_OUTPUT ? `${outcome.output.slice(0, MAX_STORED_OUTPUT)}\n[truncated]` : outcome.output;
    const modelOutput = outcome.exitCode === null ? output : `exit code: ${outcome.exitCode}\n${output}`;
    const event = this.tx(() => {
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
    return true;
  }

  // ---------- platform tools ----------

  /** Runs dispatch_task, wait_for_tasks or ask_human; "wait" when the task must now wait. Never throws. */
  private async runPlatformTool(call: RequestedToolCall): Promise<ToolOutcome | "wait"> {
    try {
      switch (call.toolName) {
        case "dispatch_task":
          return await this.dispatchChild(call.toolCallId, platformToolInputs.dispatch_task.parse(call.input));
        case "wait_for_tasks":
          return await this.waitForChildren(platformToolInputs.wait_for_tasks.parse(call.input).task_ids);
        case "ask_human":
          return await this.askHuman(call.toolCallId, platformToolInputs.ask_human.parse(call.input).question);
      }
      return { output: `unknown tool "${call.toolName}"`, isError: true, exitCode: null };
    } catch (error) {
      const message = error instanceof z.ZodError ? `invalid input for ${call.toolName}: ${z.prettifyError(error)}` : String(error);
      return { output: message, isError: true, exitCode: null };
    }
  }

  /**
   * Starts a child task, at most once per idempotency key (the tool call id by default), within
   * the project's depth and fan-out limits. Returns the child's id and status.
   */
  private async dispatchChild(toolCallId: string, input: z.infer<typeof platformToolInputs.dispatch_task>): Promise<ToolOutcome> {
    const row = this.mustRow();
    const limits = this.limits();
    const key = input.idempotency_key ?? toolCallId;
    const childId = this.tx(() => {
      const existing = this.ctx.storage.sql.exec<{ task_id: string }>(`SELECT task_id FROM children WHERE idempotency_key = ?`, key).toArray()[0];
      if (existing) return { id: existing.task_id };
      if (row.depth + 1 > limits.maxDepth) return { error: `a child would be at depth ${row.depth + 1}; the project allows ${limits.maxDepth}` };
      if (this.childIds().length >= limits.maxChildren) return { error: `this task already has ${limits.maxChildren} children, the project's limit` };
      const id = newId("task");
      this.ctx.storage.sql.exec(`INSERT INTO children (idempotency_key, task_id, created_at) VALUES (?, ?, ?)`, key, id, new Date().toISOString());
      return { id };
    });
    if ("error" in childId) return { output: `dispatch refused: ${childId.error}`, isError: true, exitCode: null };
    await registerTask(this.env, childId.id, row.project_id);
    const child = await getAgentByName(this.env.TaskAgent, childId.id);
    const view = await child.start({
      id: childId.id,
      projectId: row.project_id,
      userId: row.user_id,
      prompt: input.prompt,
      model: input.model ?? row.model,
      script: input.script,
      missionId: row.mission_id ?? undefined,
      missionBudgetUsd: row.mission_budget_usd,
      parentTaskId: row.id,
      depth: row.depth + 1,
      sessionId: row.session_id ?? undefined,
      policies: JSON.parse(row.policies_json) as string[],
      limits,
    });
    return { output: JSON.stringify({ taskId: view.id, status: view.status }), isError: false, exitCode: null };
  }

  /** Each child's outcome when all given children ended; otherwise the task waits for them. */
  private async waitForChildren(taskIds: string[] | undefined): Promise<ToolOutcome | "wait"> {
    const mine = this.childIds();
    const ids = taskIds ?? mine;
    const strangers = ids.filter((id) => !mine.includes(id));
    if (strangers.length) return { output: `not children of this task: ${strangers.join(", ")}`, isError: true, exitCode: null };
    if (ids.length === 0) return { output: "this task has no children to wait for", isError: true, exitCode: null };
    const views = await this.childViews(ids);
    if (views.every((v) => v && TERMINAL_TASK_STATUSES.includes(v.status))) {
      const results = views.map((v) => v && { taskId: v.id, status: v.status, summary: v.summary, error: v.error, changedFiles: v.changedFiles });
      return { output: JSON.stringify(results, null, 2), isError: false, exitCode: null };
    }
    const event = this.transition(["running"], "waiting", { waitKind: "children" });
    if (event) {
      await this.publish([event], true, true);
      await this.schedule(CHILD_WATCHDOG_SECONDS, "checkChildren", undefined, { idempotent: true });
      // A child may have ended between the check above and the transition.
      await this.wakeIfChildrenDone();
    }
    return "wait";
  }

  /** The answer when one was given; otherwise posts the question to the chat and waits. */
  private async askHuman(toolCallId: string, question: string): Promise<ToolOutcome | "wait"> {
    const answer = this.ctx.storage.sql.exec<{ author: string; text: string }>(`SELECT author, text FROM answers WHERE tool_call_id = ?`, toolCallId).toArray()[0];
    if (answer) return { output: `${answer.author} answered: ${answer.text}`, isError: false, exitCode: null };
    const row = this.mustRow();
    const event = this.transition(["running"], "waiting", { waitKind: "human", question });
    if (event) await this.publish([event], true, true);
    try {
      const project = await getAgentByName(this.env.ProjectAgent, row.project_id);
      await project.postNotice(
        `question:${row.id}:${toolCallId}`,
        row.session_id,
        `Task ${row.id} asks: ${question}\n(Answer in the task's answer box, or reply with @${row.id} followed by your answer.)`,
      );
    } catch (error) {
      // The question is on the task (its view and transcript) even when the chat post fails.
      console.error(`task ${row.id}: posting the question failed: ${String(error)}`);
    }
    return "wait";
  }

  /** Wakes a task waiting on children when every child it waits for has ended. Returns whether it woke. */
  private async wakeIfChildrenDone(): Promise<boolean> {
    const row = this.row();
    if (!row || row.status !== "waiting" || row.wait_kind !== "children") return false;
    const waitingOn = this.pendingToolCalls().find((c) => c.toolName === "wait_for_tasks");
    const parsed = waitingOn ? platformToolInputs.wait_for_tasks.safeParse(waitingOn.input) : null;
    const ids = (parsed?.success ? parsed.data.task_ids : undefined) ?? this.childIds();
    const views = await this.childViews(ids);
    if (!views.every((v) => v && TERMINAL_TASK_STATUSES.includes(v.status))) return false;
    const event = this.transition(["waiting"], "running");
    if (!event) return false;
    await this.publish([event], true, true);
    this.kick();
    return true;
  }

  private childIds(): string[] {
    return this.ctx.storage.sql.exec<{ task_id: string }>(`SELECT task_id FROM children ORDER BY created_at, task_id`).toArray().map((r) => r.task_id);
  }

  private async childViews(ids: string[]): Promise<(TaskView | null)[]> {
    return Promise.all(ids.map(async (id) => (await getAgentByName(this.env.TaskAgent, id)).getView()));
  }

  /** Appends undelivered inbox messages (check-ins, messages) to the conversation, once each. */
  private deliverInbox(): void {
    if (!this.inboxMaybePending) return;
    this.tx(() => {
      const rows = this.ctx.storage.sql.exec<{ id: number; text: string }>(`SELECT id, text FROM inbox WHERE delivered = 0 ORDER BY id`).toArray();
      for (const row of rows) {
        this.appendMessage({ role: "user", content: row.text });
        this.ctx.storage.sql.exec(`UPDATE inbox SET delivered = 1 WHERE id = ?`, row.id);
      }
      this.inboxMaybePending = false;
    });
  }

  /** The limits the task took from its project at start (defaults for tasks older than them). */
  private limits(): TaskLimits {
    // A task older than its stored limits gets the project defaults for what it lacks.
    return taskLimitsSchema.parse(JSON.parse(this.mustRow().limits_json));
  }

  /**
   * Sets the silence alarm for `at` (epoch ms) unless one is pending; the handler, whose own
   * schedule is still listed while it runs, passes `fromHandler` to set the next one.
   */
  private async armSilenceTimer(at: number, fromHandler = false): Promise<void> {
    if (!fromHandler && this.getSchedules().some((s) => s.callback === "checkSilence")) return;
    await this.schedule(new Date(Math.max(at, Date.now() + 1)), "checkSilence");
  }

  /**
   * After the task ended: a failed or cancelled task cancels its children, and the parent (the
   * mission or the parent task) hears of the end. Failures are logged: parents also poll.
   */
  private async afterEnd(): Promise<void> {
    const row = this.mustRow();
    const view = this.toView(row);
    if (row.status !== "succeeded") {
      await Promise.all(
        this.childIds().map(async (id) => {
          try {
            await (await getAgentByName(this.env.TaskAgent, id)).cancel(`parent task ${row.id} ${row.status}`);
          } catch (error) {
            console.error(`task ${row.id}: cancelling child ${id} failed: ${String(error)}`);
          }
        }),
      );
    }
    try {
      if (row.parent_task_id) await (await getAgentByName(this.env.TaskAgent, row.parent_task_id)).childEnded(row.id);
      else if (row.mission_id) await (await getAgentByName(this.env.MissionAgent, row.mission_id)).taskEnded(row.id, view);
    } catch (error) {
      console.error(`task ${row.id}: reporting the end to its parent failed: ${String(error)}`);
    }
  }

  /** Ends the task (compare-and-set from running), recording the workspace's changed files. */
  private async finish(status: "succeeded" | "failed", summary: string | null, error: string | null): Promise<void> {
    let changedFiles: string[] = [];
    try {
      changedFiles = await openWorkspace(this.env, this.mustRow().id).changedFiles();
    } catch {
      // The diff is a convenience; a task's outcome does not depend on it.
    }
    const event = this.transition(["running"], status, { summary, error, changedFiles });
    if (event) {
      await this.publish([event], true, true);
      await this.afterEnd();
    }
  }

  /** Fails the task when the loop threw (model or workspace unavailable, bad script...). */
  private async failUnexpected(error: unknown): Promise<void> {
    const row = this.row();
    if (!row || row.status === "cancelled") return;
    const message = error instanceof Error ? error.message : String(error);
    const event = this.transition(["queued", "running"], "failed", { error: message });
    if (event) {
      await this.publish([event], true, true);
      await this.afterEnd();
    }
  }

  // ---------- storage ----------

  private row(): TaskRow | null {
    this.rowCache ??= this.ctx.storage.sql.exec<TaskRow>(SELECT_TASK_ROW).toArray()[0] ?? null;
    return this.rowCache;
  }

  /** Every write to the `task` table goes through here, so that `rowCache` never goes stale. */
  private writeTask(query: string, ...bindings: SqlStorageValue[]): SqlStorageCursor<Record<string, SqlStorageValue>> {
    this.rowCache = null;
    return this.ctx.storage.sql.exec(query, ...bindings);
  }

  /** `transactionSync`, dropping what is cached from storage when it rolls back. */
  private tx<T>(fn: () => T): T {
    return transactionDroppingCaches(this.ctx.storage, fn, () => {
      this.rowCache = null;
      this.lastSeq = null;
      this.inboxMaybePending = true;
      this.conversationCache = null;
    });
  }


  /** The script for the `scripted` model, if the task has one. */
  private script(): ScriptStep[] | undefined {
    const json = this.ctx.storage.sql.exec<{ script_json: string | null }>(`SELECT script_json FROM task LIMIT 1`).toArray()[0]?.script_json;
    return json ? scriptSchema.parse(JSON.parse(json)) : undefined;
  }

  /** Just the status: the loop checks it at every boundary. */
  private status(): TaskStatus | null {
    return this.row()?.status ?? null;
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
    fields: { summary?: string | null; error?: string | null; changedFiles?: string[]; waitKind?: "children" | "human"; question?: string } = {},
  ): TranscriptEvent | null {
    return this.tx(() => {
      const row = this.mustRow();
      if (!from.includes(row.status)) return null;
      // What the task waits on is kept only while it waits; leaving `waiting` is progress.
      this.writeTask(
        `UPDATE task SET status = ?, summary = COALESCE(?, summary), error = COALESCE(?, error),
         changed_files_json = COALESCE(?, changed_files_json), wait_kind = ?, question = ?, updated_at = ?,
         last_activity_at = CASE WHEN status = 'waiting' THEN ? ELSE last_activity_at END WHERE id = ?`,
        to,
        fields.summary ?? null,
        fields.error ?? null,
        fields.changedFiles ? JSON.stringify(fields.changedFiles) : null,
        to === "waiting" ? (fields.waitKind ?? null) : null,
        to === "waiting" ? (fields.question ?? null) : null,
        new Date().toISOString(),
        Date.now(),
        row.id,
      );
      return this.journal({ type: "status", status: to, ...(fields.error ? { reason: fields.error } : {}) });
    });
  }

  /** Appends an event with the next seq; returns it. */
  private journal(event: NewTranscriptEvent): TranscriptEvent {
    this.lastSeq ??= this.ctx.storage.sql.exec<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM transcript`).one().seq ?? 0;
    // Built here from typed parts, so it is not re-validated; reads from storage are.
    const full = { ...event, seq: this.lastSeq + 1, at: new Date().toISOString() } as TranscriptEvent;
    const toolCallId = "toolCallId" in full ? full.toolCallId : null;
    this.ctx.storage.sql.exec(`INSERT INTO transcript (seq, type, tool_call_id, data) VALUES (?, ?, ?, ?)`, full.seq, full.type, toolCallId, JSON.stringify(full));
    this.lastSeq = full.seq;
    // Progress extends the silence timer and clears a check-in; the check-in itself does not count.
    // `checkSilence` reads the time from memory, so storing it is needed only now and then.
    if (full.type !== "message" || full.kind !== "check_in") {
      const now = Date.now();
      this.lastActivityAt = now;
      const row = this.row();
      if (!row || row.checked_in_at !== null || now - row.last_activity_at >= ACTIVITY_WRITE_MS) {
        this.writeTask(`UPDATE task SET last_activity_at = ?, checked_in_at = NULL`, now);
      }
    }
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
      missionId: row.mission_id,
      parentTaskId: row.parent_task_id,
      depth: row.depth,
      question: row.status === "waiting" ? row.question : null,
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
