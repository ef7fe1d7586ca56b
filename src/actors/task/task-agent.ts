/**
 * TaskAgent: one coding task (docs/architecture.md). Owns its spec, its workspace lease, the
 * tool loop and its append-only transcript, usage and cost, and its result. Keyed by task id.
 *
 * This class is the list of what a task does: its RPC methods and alarm callbacks. Each job is
 * a module of this folder: the row and its compare-and-set transitions (`row-store.ts`), the
 * transcript and conversation (`journal.ts`), the loop (`loop.ts`, its rules in
 * `loop-rules.ts`), children (`children.ts`), questions, inbox and silence (`attention.ts`,
 * `silence.ts`), the batched publish to the project (`outbox.ts`), the view (`view.ts`).
 */
import { Agent, getAgentByName, type Connection, type FiberRecoveryContext, type WSMessage } from "agents";
import { AHEAD_OUTPUT_ALLOWANCE_CHARS, admitAhead, BudgetExceededError, releaseAdmission, runGatedModelStep } from "../../models/gate.ts";
import { stepInputChars } from "../../models/estimate.ts";
import { openWorkspace } from "../../sandbox/open.ts";
import { TERMINAL_TASK_STATUSES, type TaskStatus, type TaskView, type TranscriptEvent } from "../../shared/protocol.ts";
import { taskSpecSchema, type TaskSpec } from "../../shared/task-spec.ts";
import { platformToolSet } from "../../tools/task-platform-tools.ts";
import { workspaceToolSet } from "../../tools/workspace-tools.ts";
import { createAttentionTables, TaskAttention } from "./attention.ts";
import { CHILD_WATCHDOG_SECONDS, createChildrenTable, TaskChildren } from "./children.ts";
import { diffTaskWorkspace, readTaskFile, type TaskDiffResult, type TaskFileResult } from "./files.ts";
import { createJournalTables, TaskJournal } from "./journal.ts";
import { createMcpTables, MCP_NOTE_AUTHOR, TaskMcpTools } from "./mcp.ts";
import { runTaskLoop } from "./loop.ts";
import { endingOf, taskInstructions } from "./loop-rules.ts";
import { TaskOutbox } from "./outbox.ts";
import { createTaskTable, TaskRowStore, type TransitionFields } from "./row-store.ts";
import { runTaskTool } from "./tools.ts";
import { createEscalationTable, followingWorkspace, TaskEscalation } from "./escalation.ts";
import { TaskRepository } from "./repository.ts";
import { TranscriptLimitError } from "./transcript-limits.ts";
import { taskEndedNotice } from "../user/notices.ts";
import { notifyUser } from "../user/notify.ts";
import { specOf, toView } from "./view.ts";

/** The task actor. Keyed by task id. */
export class TaskAgent extends Agent<Env> {
  private readonly store: TaskRowStore;
  private readonly journal: TaskJournal;
  private readonly outbox: TaskOutbox;
  private readonly children: TaskChildren;
  private readonly attention: TaskAttention;
  /** The project's MCP servers' tools, listed when the task starts (mcp.ts). */
  private readonly mcpTools: TaskMcpTools;
  /** The task's work on its project's repository, when it has `repo` (repository.ts). */
  private readonly repo: TaskRepository;
  /** The task's VM, when it escalated to one (escalation.ts, issue 16). */
  private readonly escalation: TaskEscalation;
  /** Aborts the in-flight model call or command when the task is cancelled or fails for silence. */
  private abort: AbortController | null = null;
  private loopRunning = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    createTaskTable(sql);
    createJournalTables(sql);
    createChildrenTable(sql);
    createAttentionTables(sql);
    createMcpTables(sql);
    this.store = new TaskRowStore(ctx.storage);
    this.journal = new TaskJournal(this.store);
    this.outbox = new TaskOutbox(env, this.store);
    const host = { env, store: this.store, journal: this.journal, outbox: this.outbox, kick: () => this.kick() };
    this.children = new TaskChildren({
      ...host,
      scheduleWatchdog: async () => {
        await this.schedule(CHILD_WATCHDOG_SECONDS, "checkChildren", undefined, { idempotent: true });
      },
    });
    this.attention = new TaskAttention({
      ...host,
      silenceCheckPending: () => this.getSchedules().some((s) => s.callback === "checkSilence"),
      scheduleSilenceCheck: async (at) => {
        await this.schedule(at, "checkSilence");
      },
    });
    this.mcpTools = new TaskMcpTools({ env, sql, note: (text) => this.attention.message(text, MCP_NOTE_AUTHOR) });
    createEscalationTable(sql);
    this.escalation = new TaskEscalation({ env, store: this.store, journal: this.journal, outbox: this.outbox, connections: () => this.getConnections() });
    this.outbox.runtime = () => this.escalation.runtimeView();
    this.repo = new TaskRepository({ env, store: this.store, append: (event) => this.journal.append(event), publish: (events) => this.outbox.publish(events, true, true) });
  }

  // ---------- RPC ----------

  /**
   * Stores the spec and starts the loop. Idempotent: a second call returns the existing view.
   * @throws ZodError when the spec is invalid.
   */
  async start(input: TaskSpec): Promise<TaskView> {
    const spec = taskSpecSchema.parse(input);
    if (!this.store.row()) {
      // A mission or a parent passes what it already has: one round trip less per task.
      const settings =
        spec.policies && spec.limits
          ? { policies: spec.policies, limits: spec.limits }
          : await (await getAgentByName(this.env.ProjectAgent, spec.projectId)).taskSettings();
      if (this.store.insert(spec, settings, Date.now())) {
        this.escalation.setRuntime(spec.runtime);
        const event = this.journal.append({ type: "status", status: "queued" });
        // A task started on its own is awaited so that the project lists it as soon as the API
        // answers. A mission's task is listed by its mission: its `queued` rides along with the
        // next publish (a 100-task mission sends 100 RPCs to the project less while it starts).
        if (spec.missionId) void this.outbox.publish([event], true, false);
        else await this.outbox.publish([event], true, true);
      }
    }
    this.kick();
    return this.mustView();
  }

  /** The task's current view, or null if this actor holds no task. */
  async getView(): Promise<TaskView | null> {
    const row = this.store.row();
    return row ? toView(row, this.escalation.runtimeView()) : null;
  }

  /**
   * Transcript events with seq > `after`, oldest first, at most `limit` (clamped to
   * 1..MAX_TRANSCRIPT_PAGE) and fewer past MAX_TRANSCRIPT_PAGE_BYTES (see `TaskJournal.events`).
   */
  async getTranscript(after = 0, limit = 1000): Promise<TranscriptEvent[]> {
    return this.journal.events(after, limit);
  }

  /** Reads a file of the task's workspace (for the API); never throws for expected failures. */
  async readFile(path: string): Promise<TaskFileResult> {
    const row = this.store.row();
    if (!row) return { ok: false, code: "unavailable", message: "this actor holds no task" };
    return readTaskFile(this.env, row.id, path, this.escalation.vmTunnel());
  }

  /** The unified diff of the task's workspace and its changed files (for the API); never throws for expected failures. */
  async diff(): Promise<TaskDiffResult> {
    const row = this.store.row();
    if (!row) return { ok: false, code: "unavailable", message: "this actor holds no task" };
    return diffTaskWorkspace(this.env, row.id, this.escalation.vmTunnel());
  }

  /**
   * Cancels the task unless it already ended (code `cancelled`, `reason` as its message); stops
   * the loop at the next boundary and aborts the in-flight model call or command. Returns the
   * view after the change.
   */
  async cancel(reason = "cancelled by a user"): Promise<TaskView> {
    await this.end(["queued", "running", "waiting"], "cancelled", { failure: { code: "cancelled", message: reason } }, true);
    return this.mustView();
  }

  /**
   * A person's answer to the question the task waits on (`ask_human`): journaled, given to the
   * model as the tool's result, and the loop resumes. Returns the view, or an error when the
   * task is not waiting for an answer.
   */
  async answer(text: string, author: string): Promise<{ ok: true; task: TaskView } | { ok: false; message: string }> {
    const events = this.attention.answer(text, author);
    if (!events) return { ok: false, message: "the task is not waiting for an answer" };
    await this.outbox.publish(events, true, true);
    this.kick();
    return { ok: true, task: this.mustView() };
  }

  /**
   * Gives the task's model a message (from the tech lead or a person): journaled now, added to
   * the conversation before the next model step. Refused once the task has ended, and when its
   * transcript has no room for it (MAX_TRANSCRIPT_BYTES).
   */
  async sendMessage(text: string, from: string): Promise<{ ok: true } | { ok: false; message: string }> {
    let event: TranscriptEvent | null;
    try {
      event = this.attention.message(text, from);
    } catch (error) {
      if (error instanceof TranscriptLimitError) return { ok: false, message: error.message };
      throw error;
    }
    if (!event) return { ok: false, message: "the task has ended" };
    await this.outbox.publish([event], false, true);
    return { ok: true };
  }

  /** A child reports that it ended: wakes this task if it waits on its children. */
  async childEnded(childId: string): Promise<void> {
    if (!this.children.ids().includes(childId)) return;
    await this.children.wakeIfDone();
  }

  /** The spec this task was started with (for `retry_task`), or null if this actor holds none. */
  async getSpec(): Promise<TaskSpec | null> {
    const row = this.store.row();
    return row ? specOf(row, this.store.script()) : null;
  }

  /**
   * The project's VM reconciliation found this task's VM older than `limits.vm.maxHours`
   * (`maxHours`, hours): the VM is deleted (its cost recorded) and a task still live fails with
   * that reason (its workspace was on the VM). Returns the view after it. Idempotent.
   */
  async vmExpired(maxHours: number): Promise<TaskView | null> {
    if (!this.store.row()) return null;
    const reason = await this.escalation.expire(maxHours);
    await this.end(["queued", "running", "waiting"], "failed", { failure: { code: "unexpected_error", message: `the task failed: ${reason}` } }, true);
    return this.mustView();
  }

  // ---------- alarm callbacks ----------

  /** Alarm callback: checks in on, or fails (code `silence`), a running task that made no progress (issue 3). */
  async checkSilence(): Promise<void> {
    const reason = await this.attention.checkSilence();
    if (reason) await this.end(["running"], "failed", { failure: { code: "silence", message: reason } }, true);
  }

  /** Alarm callback while waiting on children: catches a lost report from a child. */
  async checkChildren(): Promise<void> {
    const row = this.store.row();
    if (!row || row.status !== "waiting" || row.wait_kind !== "children") return;
    if (!(await this.children.wakeIfDone())) await this.schedule(CHILD_WATCHDOG_SECONDS, "checkChildren", undefined, { idempotent: true });
  }

  /** Resumes the loop after an eviction or restart interrupted it. */
  override async onFiberRecovered(ctx: FiberRecoveryContext): Promise<void> {
    if (ctx.name === "task-loop") this.kick();
  }

  // ---------- the loop ----------

  /** Starts the loop in a fiber unless it is already running in this instance. */
  private kick(): void {
    if (this.loopRunning) return;
    const row = this.store.row();
    if (!row || TERMINAL_TASK_STATUSES.includes(row.status)) return;
    this.loopRunning = true;
    void this.runFiber("task-loop", () => this.runLoop())
      .catch((error: unknown) => this.failUnexpected(error))
      .finally(() => {
        this.loopRunning = false;
      });
  }

  /** Makes the workspace of a queued task, then runs the loop and ends the task as its exit says. */
  private async runLoop(): Promise<void> {
    const first = this.store.mustRow();
    if (first.status === "queued") {
      const leased = openWorkspace(this.env, first.id);
      if (this.repo.state()) await this.repo.createWorkspace(leased, this.store.seedFiles());
      else await leased.create(this.store.seedFiles());
      const event = this.store.transition(this.journal, ["queued"], "running");
      if (!event) return;
      this.store.dropSeed();
      await this.outbox.publish([event], true, true);
    }
    // `runtime: "vm"`: the task moves to a VM before its first step (escalation.ts); refused or failed, it fails.
    if (this.escalation.runtime() === "vm" && !this.escalation.onVm()) {
      const moved = await this.escalation.request("the task's runtime is \"vm\"", {}, openWorkspace(this.env, first.id), new AbortController().signal);
      if (moved.isError) return this.end(["running"], "failed", { failure: { code: "unexpected_error", message: moved.output } }, false);
    }
    // A finish interrupted while pushing its branch ends as it was going to, without another model step.
    const interrupted = this.repo.pendingEnding();
    if (interrupted) return this.finish(interrupted.status, interrupted.summary, interrupted.failure ?? undefined);
    // The project's MCP servers' tools, listed once per task (a resumed task keeps its catalog).
    const notes = await this.mcpTools.prepare(first.project_id);
    if (notes.length > 0) await this.outbox.publish(notes, false, true);
    // (Re)starting the loop is progress: the silence timer counts from here.
    this.journal.lastActivityAtMs = Date.now();
    this.store.recordActivity(this.journal.lastActivityAtMs);
    await this.attention.armSilenceTimer(Date.now() + this.store.limits().silenceMs);
    const tools = { ...this.mcpTools.toolSet(), ...workspaceToolSet(), ...platformToolSet() };
    const instructions = taskInstructions(JSON.parse(first.policies_json) as string[]);
    const script = this.store.script();
    // Every model call goes through the gate: payer mode, budgets (user's, task's, mission's), usage.
    const context = {
      userId: first.user_id,
      projectId: first.project_id,
      taskId: first.id,
      taskBudgetUsd: first.budget_usd,
      missionId: first.mission_id ?? undefined,
      missionBudgetUsd: first.mission_budget_usd,
    };
    // The sandbox's workspace, or the VM's once the task escalated (the switch happens between tool calls).
    const workspace = followingWorkspace(() => openWorkspace(this.env, first.id, this.escalation.vmTunnel()));
    this.journal.reloadConversation();
    const exit = await runTaskLoop({
      journal: {
        row: () => this.store.mustRow(),
        pendingToolCalls: () => this.journal.pendingToolCalls(),
        deliverInbox: () => this.attention.deliverInbox(),
        conversation: (prompt) => this.journal.conversation(prompt),
        recordStep: (row, step) => void this.outbox.publish(this.journal.recordStep(row, step), true, false),
        recordToolResult: (call, step, outcome, durationMs) =>
          void this.outbox.publish([this.journal.recordToolResult(call, step, outcome, durationMs)], false, false),
      },
      model: {
        step: async (row, messages, admission, abortSignal) => {
          try {
            return await runGatedModelStep(this.env, context, row.model, script, { instructions, messages, tools, abortSignal }, admission);
          } catch (error) {
            if (error instanceof BudgetExceededError) return { budgetExceeded: error.message };
            throw error;
          }
        },
        admitAhead: (row, messages, pendingCalls) =>
          admitAhead(this.env, context, row.model, stepInputChars(instructions, messages) + pendingCalls * AHEAD_OUTPUT_ALLOWANCE_CHARS),
        release: (admission) => void releaseAdmission(admission),
      },
      tools: { run: (call, signal) => runTaskTool(call, signal, { workspace, children: this.children, attention: this.attention, mcp: { run: (mcpCall, mcpSignal) => this.mcpTools.run(mcpCall, mcpSignal, first.project_id) }, escalation: { request: (input, vmSignal) => this.escalation.request(input.reason, input.needs, openWorkspace(this.env, first.id), vmSignal), afterCommand: (outcome, ownTimeout, rerun, vmSignal) => this.escalation.afterSandboxCommand(outcome, ownTimeout, openWorkspace(this.env, first.id), rerun, vmSignal) } }) },
      setAbort: (controller) => {
        this.abort = controller;
      },
    });
    const ending = endingOf(exit);
    if (ending) await this.finish(ending.status, ending.summary, ending.failure ?? undefined);
  }

  // ---------- ending ----------

  /** Ends the task (compare-and-set from running), recording the workspace's changed files. */
  private async finish(status: "succeeded" | "failed", summary: string | null, failure: TransitionFields["failure"]): Promise<void> {
    let changedFiles: string[] = [];
    const workspace = openWorkspace(this.env, this.store.mustRow().id, this.escalation.vmTunnel());
    try {
      changedFiles = await workspace.changedFiles();
    } catch {
      // The diff is a convenience; a task's outcome does not depend on it.
    }
    // A task on a repository commits, pushes and opens its pull request before it ends (repository.ts; never throws for git or GitHub).
    if (this.store.mustRow().status === "running") await this.repo.finish(workspace, { status, summary, failure: failure ?? null }, changedFiles);
    await this.end(["running"], status, { summary, failure, changedFiles }, false);
  }

  /** Fails the task (code `unexpected_error`) when the loop threw: model or workspace unavailable, a bad script... */
  private async failUnexpected(error: unknown): Promise<void> {
    const row = this.store.row();
    if (!row || row.status === "cancelled") return;
    const message = error instanceof Error ? error.message : String(error);
    await this.end(["queued", "running"], "failed", { failure: { code: "unexpected_error", message } }, false);
  }

  /**
   * Moves the task from one of `from` to the end state `to` (compare-and-set); when it moved:
   * aborts the call in flight (when `abortInFlight`), publishes the change at once, cancels the
   * children of a task that did not succeed and reports the end to its parent.
   */
  private async end(from: TaskStatus[], to: "succeeded" | "failed" | "cancelled", fields: TransitionFields, abortInFlight: boolean): Promise<void> {
    const event = this.store.transition(this.journal, from, to, fields);
    if (!event) return;
    if (abortInFlight) this.abort?.abort(new Error(fields.failure?.message));
    await this.outbox.publish([event], true, true);
    // Its VM, if it has one, is deleted and its cost recorded (escalation.ts; never throws).
    await this.escalation.release(`the task ${to}`);
    const view = this.mustView();
    // A top-level task's starter hears that it succeeded or failed (notices.ts; deduplicated by the task's id and status).
    const notice = taskEndedNotice(view);
    if (notice) await notifyUser(this.env, this.store.mustRow().user_id, notice);
    await this.children.afterEnd(view);
  }

  private mustView(): TaskView {
    return toView(this.store.mustRow(), this.escalation.runtimeView());
  }

  // ---------- the VM's socket (issue 16) ----------

  /** Only a VM's runner connects here (the Worker's `/vm/connect`); the SDK's own frames are not sent to it. */
  override shouldSendProtocolMessages(): boolean {
    return false;
  }

  /** A VM's runner speaks: its hello, its answers (escalation.ts). */
  override async onMessage(connection: Connection, message: WSMessage): Promise<void> {
    if (typeof message === "string") await this.escalation.onFrame(connection, message);
  }

  /** A VM's socket closed: requests in flight over it fail. */
  override onClose(connection: Connection): void {
    this.escalation.onClose(connection);
  }
}
