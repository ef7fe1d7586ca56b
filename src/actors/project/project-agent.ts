/**
 * ProjectAgent: one project (docs/architecture.md). What a project does, each job delegated to a
 * module of `project/`: its chat (chat-store.ts: sessions, messages, notices), the latest view of
 * its tasks and missions (views.ts), its settings (settings.ts), knowledge and policies
 * (knowledge.ts), the project-wide cap on running mission tasks (slots.ts), its WebSocket clients
 * (socket.ts), the tech lead's replies (tech-lead/, one session's turns in order), typed or
 * spoken (`voiceTurn`, for the voice actor `TechLeadVoice`), and its triggers (triggers.ts,
 * trigger-runs.ts, trigger-fire.ts, trigger-webhook.ts: cron schedules on this actor's alarms and
 * signed webhooks that start work as a person).
 *
 * WebSocket upgrades reach this actor only through the Worker, which authenticates the caller
 * and passes them in headers it sets itself (stripped from clients): a person as `x-sam-user-id`,
 * `x-sam-user-name`, `x-sam-user-role` and `x-sam-token-id`, an embed token's visitor as
 * `x-sam-embed` (its grant); the socket re-checks that access when it accepts the connection.
 */
import { Agent, getAgentByName, type Connection, type ConnectionContext, type Schedule, type WSMessage } from "agents";
import { taskLimitsOf, type TaskLimits } from "../../shared/limits.ts";
import type { ProjectSettings, ProjectSettingsPatch } from "../../shared/project-settings.ts";
import { TERMINAL_TASK_STATUSES, type ChatMessage, type ChatSession, type MissionView, type SessionKind, type TaskView, type TranscriptEvent, SYSTEM_AUTHOR, TECH_LEAD_AUTHOR, type ChatAuthor } from "../../shared/protocol.ts";
import type { Policy } from "../../shared/knowledge.ts";
import { triggerCreateSchema, triggerPatchSchema, type TriggerCreate, type TriggerPatch, type TriggerRun, type TriggerView } from "../../shared/trigger.ts";
import { runPlatformTool, type PlatformToolOutcome } from "../../tools/platform-tools.ts";
import type { McpServerConnection, McpServerCreate, McpServerView } from "../../shared/mcp-servers.ts";
import { LeadMcpTools } from "./lead-mcp-tools.ts";
import { McpServerStore, type McpServerAdded } from "./mcp-servers.ts";
import { ChatStore, type MessageExtras, type NewMessage } from "./chat-store.ts";
import { addPolicy, listPolicies } from "./knowledge.ts";
import { leadHost, leadReplyContext } from "./lead-host.ts";
import { createProjectTables } from "./schema.ts";
import { deleteRepositoryToken, readRepository, repositoryAccess, writeRepository, writeRepositoryCredential, type RepositoryAccess, type RepositoryCredentialInput } from "./repository.ts";
import { installationTokens } from "./github-app.ts";
import type { RepositorySetting, RepositoryView } from "../../shared/repository.ts";
import { applySettingsPatch, readIdentity, readSettings, recordIdentity, writeSettings, type ProjectIdentity } from "./settings.ts";
import { acquireSlots, releaseSlot, wakeMissions } from "./slots.ts";
import { closeVoiceConnections, connectionStillAllowed } from "./access-recheck.ts";
import { ProjectSocket, type ConnectionFilter } from "./socket.ts";
import { taskMention } from "./task-mention.ts";
import { mayMention } from "./mentions.ts";
import { notifyMentions } from "./mention-notices.ts";
import { reconcileOnAlarm, VM_RECONCILE_SECONDS, type VmReconcileReport } from "./vm-reconcile.ts";
import { listMissionViews, listTaskViews, readTaskView, storeMissionView, storeTaskView } from "./views.ts";
import { fireCronDue, type FireContext } from "./trigger-fire.ts";
import { listRuns } from "./trigger-runs.ts";
import { receiveWebhook, type WebhookCall, type WebhookResult } from "./trigger-webhook.ts";
import { TriggerStore, triggerChange, type TriggerChange } from "./triggers.ts";
import { leadAnswers } from "../tech-lead/mention.ts";
import { replyInSession, type LeadReplyContext } from "../tech-lead/reply.ts";
import { TurnQueue } from "../tech-lead/turn-queue.ts";
import type { VoiceTurnRequest } from "../tech-lead/voice-turn.ts";
import { VoiceTurns } from "../tech-lead/voice-turns.ts";

/** The project actor. Keyed by project id. */
export class ProjectAgent extends Agent<Env> {
  private readonly chat: ChatStore;
  private readonly socket: ProjectSocket;
  /** The tech lead's turns: those of one session run one after another. */
  private readonly leadTurns: TurnQueue;
  /** Voice turns running or queued (tech-lead/voice-turns.ts): how `abortVoiceTurn` interrupts one. */
  private readonly voiceTurns: VoiceTurns;
  /** The project's triggers (cron schedules on this actor's alarms, signed webhooks). */
  private readonly triggers: TriggerStore;
  /** The project's MCP servers (mcp-servers.ts), whose tools its tasks and tech lead get. */
  private readonly mcpServers: McpServerStore;
  /** The MCP servers' tools as the tech lead's turns get them (listed at most once a minute). */
  private readonly leadMcp: LeadMcpTools;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    createProjectTables(ctx.storage.sql);
    this.mcpServers = new McpServerStore(ctx.storage.sql, () => this.env.ENCRYPTION_KEY, () => this.name);
    this.leadMcp = new LeadMcpTools(() => this.mcpServers.connections());
    this.chat = new ChatStore(ctx.storage, () => this.name);
    this.socket = new ProjectSocket({
      connections: () => this.getConnections(),
      broadcast: (message) => this.broadcast(message),
      chatSend: async (writer, sessionId, text) => (await this.postUserMessage(sessionId, writer.author, text, writer.payer, writer.rights)) !== null,
      taskAnswer: (taskId, text, from) => this.answerTask(taskId, text, from),
      history: async (sessionId, before, limit) => (this.chat.session(sessionId) ? this.chat.listMessages(sessionId, before, limit) : null),
      tasks: async () => listTaskViews(this.ctx.storage.sql, this.name),
      // One alarm per distinct expiry (the SDK matches idempotent schedules by callback and payload).
      scheduleExpiry: (at) => void this.schedule(at, "closeExpiredEmbeds", at.toISOString(), { idempotent: true }),
      stillAllowed: (user) => connectionStillAllowed(this.env, this.name, user),
    });
    // Every frame is counted against the socket's rate limit before anything acts on it, the
    // Agents SDK's own included (`rpc`, `cf_agent_*`: its wrapper, set up by `super`, handles them before `onMessage`).
    const sdkOnMessage = this.onMessage.bind(this);
    this.onMessage = async (connection, raw) => {
      if (this.socket.admit(connection)) await sdkOnMessage(connection, raw);
    };
    this.leadTurns = new TurnQueue((work) => ctx.waitUntil(work));
    this.voiceTurns = new VoiceTurns({
      leadTurns: this.leadTurns,
      hasSession: (sessionId) => this.chat.session(sessionId) !== null,
      voiceSessionId: () => this.voiceSessionId(),
      post: (sessionId, message) => this.post(sessionId, message),
      leadContext: (sessionId, payer, withTools) => this.leadContext(sessionId, payer, withTools),
    });
    this.triggers = new TriggerStore(ctx.storage, env, () => this.name, {
      schedule: async (cron, triggerId) => (await this.schedule(cron, "fireCronTrigger", { triggerId })).id,
      cancel: async (scheduleId) => void (await this.cancelSchedule(scheduleId)),
    });
  }

  // ---------- identity and chat (RPC) ----------

  /** Records the project's identity once; later calls are no-ops. */
  async init(project: ProjectIdentity): Promise<void> {
    recordIdentity(this.ctx.storage.sql, project);
  }

  /** Creates a chat session (`tech-lead`: the tech lead answers every message). Returns it. */
  async createSession(title?: string, kind: SessionKind = "chat"): Promise<ChatSession> {
    return this.chat.createSession(title, kind);
  }

  /** All sessions, newest first. */
  async listSessions(): Promise<ChatSession[]> {
    return this.chat.listSessions();
  }

  /** Whether `sessionId` is a session of this project. */
  async hasSession(sessionId: string): Promise<boolean> {
    return this.chat.session(sessionId) !== null;
  }

  /**
   * A page of a session's messages, oldest first: at most `limit` (clamped to 1…MAX_MESSAGE_PAGE;
   * DEFAULT_MESSAGE_PAGE when absent) just before seq `before` (the latest when absent).
   */
  async listMessages(sessionId: string, before?: number, limit?: number): Promise<ChatMessage[]> {
    return this.chat.listMessages(sessionId, before, limit);
  }

  /**
   * Stores a person's message and acts on it: `@tsk_...` answers that task's question (when it
   * waits for one, and `rights.answerTasks`), and a message to the tech lead (a tech-lead
   * session, or `@lead`) queues its reply, paid by `payer` (the writer themselves; an embed's
   * visitor: who minted the token) and with its tools only when `rights.leadTools` (an embed's
   * visitor gets a tech lead that answers in words only: its tools act on the whole project).
   * Returns the stored message, or null when the session does not exist.
   */
  async postUserMessage(
    sessionId: string,
    user: { id: string; name: string },
    text: string,
    payer: { id: string; name: string } = user,
    rights: { answerTasks: boolean; leadTools: boolean } = { answerTasks: true, leadTools: true },
  ): Promise<ChatMessage | null> {
    const stored = await this.post(sessionId, { role: "user", author: { id: user.id, name: user.name, kind: "user" }, text });
    if (!stored) return null;
    // Members it mentions (`@name`, mentions.ts) are notified, without holding up the chat.
    if (mayMention(text)) this.ctx.waitUntil(notifyMentions(this.env, { id: this.name, name: readIdentity(this.ctx.storage.sql)?.name ?? "a project" }, sessionId, stored, user));
    const mention = taskMention(text);
    if (mention && rights.answerTasks && readTaskView(this.ctx.storage.sql, mention.taskId)?.status === "waiting") {
      const result = await (await getAgentByName(this.env.TaskAgent, mention.taskId)).answer(mention.answer, user.name);
      if (!result.ok) await this.post(sessionId, { role: "system", author: SYSTEM_AUTHOR, text: `Task ${mention.taskId}: ${result.message}.` });
    }
    const session = this.chat.session(sessionId);
    if (session && leadAnswers(session.kind, text)) {
      this.leadTurns.enqueue(sessionId, async () => {
        await replyInSession(this.leadContext(sessionId, payer, rights.leadTools), sessionId, payer, text);
      });
    }
    return stored;
  }

  /**
   * A voice turn (the voice actor, `TechLeadVoice`, calls it with what a person said): stores
   * the words as the speaker's message in the turn's session (an embed's bound session, else the
   * project's `voice` session, created titled "Voice" on first use) and queues the tech lead's
   * reply there like any other — the same turn, model, tools, policies and knowledge, paid by
   * `payer`, streamed to every client as `chat.delta`/`chat.card`, stored with its cards — with
   * its model calls recorded under the source `voice`. Returns at once the reply as a byte
   * stream of voice-turn events (tech-lead/voice-turn.ts: `session`, then `text` and `tool` as
   * they come, then `done` or `error`). `abortVoiceTurn(turnId)`, or cancelling the stream,
   * interrupts it (turn.ts).
   * @throws ZodError when `request` is not a VoiceTurnRequest.
   */
  async voiceTurn(request: VoiceTurnRequest): Promise<ReadableStream<Uint8Array>> {
    return this.voiceTurns.start(request);
  }

  /** Interrupts voice turn `turnId` (a barge-in): see `voiceTurn`. Returns whether it was running or queued here. */
  async abortVoiceTurn(turnId: string): Promise<boolean> {
    return this.voiceTurns.abort(turnId);
  }

  /**
   * Posts a notice (a mission's summary, a task's question) as `author` (default: the tech
   * lead), once per `key`: a repeat posts nothing and returns null. Goes to `sessionId` when it is this project's, else
   * to the newest session (an "Activity" session is created when the project has none). Returns
   * the stored message.
   */
  async postNotice(key: string, sessionId: string | null, text: string, author: ChatAuthor = TECH_LEAD_AUTHOR): Promise<ChatMessage | null> {
    if (this.chat.hasNotice(key)) return null;
    const target = (sessionId && this.chat.session(sessionId) ? sessionId : null) ?? this.chat.newestSessionId() ?? this.chat.createSession("Activity", "chat").id;
    const stored = await this.post(target, { role: "assistant", author, text });
    if (stored) this.chat.recordNotice(key, stored.id);
    return stored;
  }

  // ---------- tasks and missions (RPC) ----------

  /**
   * Receives a task's progress: sends `events` as `task.event` frames to the task's watchers;
   * then, when `view` is given, frees the task's slot if it ended, stores the view and sends
   * `task.updated` to every client. @throws ZodError when `view` is not a TaskView.
   */
  async publishTaskUpdate(taskId: string, events: TranscriptEvent[], view: TaskView | null): Promise<void> {
    this.socket.sendTaskEvents(taskId, events);
    if (!view) return;
    const stored = storeTaskView(this.ctx.storage.sql, view);
    if (TERMINAL_TASK_STATUSES.includes(stored.status)) wakeMissions(this.env, this.ctx, releaseSlot(this.ctx.storage, stored.id), this.name);
    this.socket.send({ type: "task.updated", task: stored });
  }

  /** The project's tasks, newest first, as last reported. Bad rows are skipped. */
  async listTasks(): Promise<TaskView[]> {
    return listTaskViews(this.ctx.storage.sql, this.name);
  }

  /** Receives a mission's view: stores it and sends `mission.updated` to every client. @throws ZodError when it is not a MissionView. */
  async publishMissionUpdate(view: MissionView): Promise<void> {
    const stored = storeMissionView(this.ctx.storage.sql, view);
    this.socket.send({ type: "mission.updated", mission: stored });
  }

  /** The project's missions, newest first, as last reported. Bad rows are skipped. */
  async listMissions(): Promise<MissionView[]> {
    return listMissionViews(this.ctx.storage.sql, this.name);
  }

  /**
   * Takes the project's running slots for a mission's tasks, in order, up to the project's
   * `limits.maxConcurrentTasks` (idempotent per task id). Returns the task ids granted; when some
   * are refused the mission is woken as soon as a slot frees.
   */
  async acquireTaskSlots(taskIds: string[], missionId: string): Promise<string[]> {
    return acquireSlots(this.ctx.storage, taskIds, missionId, this.settings().limits.maxConcurrentTasks);
  }

  // ---------- settings and policies (RPC) ----------

  /** The project's settings (defaults filled in). */
  async getSettings(): Promise<ProjectSettings> {
    return this.settings();
  }

  /** Applies a settings change; returns the settings after it. @throws ZodError on bad input. */
  async updateSettings(patch: ProjectSettingsPatch): Promise<ProjectSettings> {
    const next = applySettingsPatch(this.settings(), patch);
    writeSettings(this.ctx.storage.sql, next);
    return next;
  }

  /** The project's repository (`{url, defaultBranch, credential: {kind, last4} | null}`), or null: none. */
  async getRepository(): Promise<RepositoryView | null> {
    return readRepository(this.ctx.storage.sql);
  }

  /** Sets (parsed `repositorySettingSchema`) or clears (null) the repository; a new URL drops the credential. Returns the view. */
  async setRepository(setting: RepositorySetting | null): Promise<RepositoryView | null> {
    writeRepository(this.ctx.storage.sql, setting);
    return readRepository(this.ctx.storage.sql);
  }

  /** Stores the repository's credential (repository.ts); the view, or null when the project names no repository. @throws EncryptionUnavailableError when ENCRYPTION_KEY is unusable. */
  async setRepositoryCredential(credential: RepositoryCredentialInput): Promise<RepositoryView | null> {
    return (await writeRepositoryCredential(this.ctx.storage.sql, this.env.ENCRYPTION_KEY, this.name, credential)) ? readRepository(this.ctx.storage.sql) : null;
  }

  /** Removes the repository's token; returns whether there was one. */
  async deleteRepositoryToken(): Promise<boolean> {
    return deleteRepositoryToken(this.ctx.storage.sql);
  }

  /**
   * For a task's clone and push only (actor to actor, never an API answer): the repository with
   * its token opened (or its GitHub App installation's minted), or null when the project names none.
   * @throws EncryptionUnavailableError when the token does not open; GitHubAppError when no token is minted.
   */
  async repositoryAccess(): Promise<RepositoryAccess | null> {
    return repositoryAccess(this.ctx.storage.sql, this.env.ENCRYPTION_KEY, this.name, installationTokens(this.env));
  }

  /** What a starting task takes from its project: the policies' texts and the limits. */
  async taskSettings(): Promise<{ policies: string[]; limits: TaskLimits }> {
    const limits = taskLimitsOf(this.settings().limits);
    return { policies: listPolicies(this.ctx.storage.sql).map((p) => p.text), limits };
  }

  /** Adds a policy (part of every task's instructions from now on). Returns it. */
  async addPolicy(text: string, createdBy: string): Promise<Policy> {
    return addPolicy(this.ctx.storage.sql, text, createdBy);
  }

  /** The project's policies, oldest first. */
  async listPolicies(): Promise<Policy[]> {
    return listPolicies(this.ctx.storage.sql);
  }

  // ---------- platform tools and MCP servers (RPC; issue 17) ----------

  /**
   * Runs the platform tool `name` (src/tools/platform-tools.ts) on `input` for `caller`, as SAM's
   * MCP server does once it has checked the caller's membership and role. Work it starts reports
   * to the project's newest session. Never throws for the tool's failure: `{ok: false, message}`.
   */
  async runPlatformTool(name: string, input: unknown, caller: { id: string; name: string }): Promise<PlatformToolOutcome> {
    const scope = { env: this.env, storage: this.ctx.storage, chat: this.chat, projectId: this.name, sessionId: null, user: caller, label: this.name, via: "an MCP client" };
    return runPlatformTool(leadHost(scope), name, input);
  }

  /** Registers an MCP server (headers sealed); its view, or why not. @throws ZodError on bad input. */
  async registerProjectMcpServer(input: McpServerCreate, createdBy: string): Promise<McpServerAdded> {
    const added = await this.mcpServers.add(input, createdBy);
    if (added.ok) this.leadMcp.forget();
    return added;
  }

  /** The project's MCP servers, without header values. */
  async listProjectMcpServers(): Promise<McpServerView[]> {
    return this.mcpServers.list();
  }

  /** Removes an MCP server; false when the project has none such. */
  async deleteProjectMcpServer(serverId: string): Promise<boolean> {
    const deleted = this.mcpServers.delete(serverId);
    if (deleted) this.leadMcp.forget();
    return deleted;
  }

  /** The MCP servers with their headers opened, for this project's tasks (TaskAgent, when it starts); servers that cannot be opened are in `failures`. */
  async projectMcpConnections(): Promise<{ servers: McpServerConnection[]; failures: string[] }> {
    return this.mcpServers.connections();
  }

  // ---------- triggers (RPC) ----------

  /**
   * Makes a trigger that runs as `userId` (see TriggerStore.create). Returns its view and, for a
   * webhook trigger, its secret (shown this once); or why not (a schedule the cron library
   * refuses: `invalid_input`; no usable ENCRYPTION_KEY: `encryption_unavailable`).
   */
  async createTrigger(input: TriggerCreate, userId: string): Promise<TriggerChange<{ trigger: TriggerView; secret: string | null }>> {
    return triggerChange(async () => {
      const made = await this.triggers.create(triggerCreateSchema.parse(input), userId);
      return { trigger: this.triggers.view(made.trigger), secret: made.secret };
    });
  }

  /** The project's triggers, oldest first (no secrets). */
  async listTriggers(): Promise<TriggerView[]> {
    return this.triggers.list().map((t) => this.triggers.view(t));
  }

  /** Trigger `triggerId`, or null when it is not this project's. */
  async getTrigger(triggerId: string): Promise<TriggerView | null> {
    const trigger = this.triggers.get(triggerId);
    return trigger ? this.triggers.view(trigger) : null;
  }

  /** Changes trigger `triggerId` as `userId` (see TriggerStore.update): its view after (null when there is none), or why not (`invalid_input`). */
  async updateTrigger(triggerId: string, patch: TriggerPatch, userId: string): Promise<TriggerChange<TriggerView | null>> {
    return triggerChange(async () => {
      const trigger = await this.triggers.update(triggerId, triggerPatchSchema.parse(patch), userId);
      return trigger ? this.triggers.view(trigger) : null;
    });
  }

  /** Deletes trigger `triggerId` with its schedule and runs. Returns whether it existed. */
  async deleteTrigger(triggerId: string): Promise<boolean> {
    return this.triggers.delete(triggerId);
  }

  /** A new secret for webhook trigger `triggerId` (shown this once; null when there is no such webhook trigger), or why not (`encryption_unavailable`). */
  async rotateTriggerSecret(triggerId: string): Promise<TriggerChange<string | null>> {
    return triggerChange(() => this.triggers.rotateSecret(triggerId));
  }

  /** The runs of trigger `triggerId`, newest first, or null when there is no such trigger. */
  async listTriggerRuns(triggerId: string): Promise<TriggerRun[] | null> {
    return this.triggers.get(triggerId) ? listRuns(this.ctx.storage.sql, triggerId) : null;
  }

  /** A call of a webhook trigger (the Worker's `/hooks/<triggerId>`): see trigger-webhook.ts. */
  async receiveWebhook(call: WebhookCall): Promise<WebhookResult> {
    return receiveWebhook(this.fireContext(), this.ctx.storage, this.triggers, call);
  }

  /**
   * Alarm callback of a cron trigger's SDK schedule: fires the trigger for the schedule's due time
   * (`schedule.time`, epoch seconds) at most once, whatever the retries and restarts (trigger-fire.ts).
   */
  async fireCronTrigger(payload: { triggerId: string }, schedule: Pick<Schedule, "time">): Promise<TriggerRun | null> {
    return fireCronDue(this.fireContext(), this.ctx.storage, this.triggers.get(payload.triggerId), schedule.time * 1000);
  }

  // ---------- WebSocket ----------

  /** Accepts a connection the Worker authenticated; closes any other (see ProjectSocket.connect). */
  override onConnect(connection: Connection, context: ConnectionContext): void {
    this.socket.connect(connection, context);
  }

  /** Forgets what the connection watched. */
  override onClose(connection: Connection): void {
    this.socket.close(connection);
  }

  /** Acts on a client frame: `task.watch` or `chat.send` (see ProjectSocket.receive). */
  override async onMessage(connection: Connection, raw: WSMessage): Promise<void> {
    await this.socket.receive(connection, raw);
  }

  // ---------- VMs (issue 16; vm-reconcile.ts) ----------

  /** Arms the VM reconciliation alarm (in VM_RECONCILE_SECONDS; idempotent: one pending alarm whatever the calls). A task calls it once its server exists. */
  async watchVms(): Promise<void> {
    await this.schedule(VM_RECONCILE_SECONDS, "reconcileVms", undefined, { idempotent: true });
  }

  /**
   * Alarm callback (and RPC): deletes the project's servers whose task ended or is unknown, and
   * hands those older than `limits.vm.maxHours` to their task (vm-reconcile.ts). Arms the next
   * run while servers remain, or when listing failed (then the error is logged); the alarm stops
   * when the project holds none. Returns what it did, or null when listing failed.
   */
  async reconcileVms(): Promise<VmReconcileReport | null> {
    const { report, again } = await reconcileOnAlarm(this.env, this.name, (await this.getSettings()).limits.vm);
    if (again) await this.watchVms();
    return report;
  }

  /**
   * Alarm callback at a token's expiry (an embed token's, or a person's personal access token's;
   * the name is kept for schedules made before people's tokens were included): closes the
   * sockets whose token has expired. Idempotent.
   */
  async closeExpiredEmbeds(): Promise<void> {
    this.socket.closeExpired();
  }

  /**
   * Closes the open sockets of a user (removed, role changed, suspended) or of a token
   * (revoked) at once. Returns how many it closed.
   */
  async closeConnections(filter: ConnectionFilter, reason: string): Promise<number> {
    // The same person's voice sockets of this project close too.
    return this.socket.closeWhere(filter, reason) + (await closeVoiceConnections(this.env, this.name, filter, reason));
  }

  /**
   * Refuses every change of the Agents SDK's shared state that a client sends
   * (`cf_agent_state`): SAM does not use that state, and a client could otherwise store and
   * broadcast megabytes to every connection. @throws Error for any change not made by the server.
   */
  override validateStateChange(_nextState: unknown, source: Connection | "server"): void {
    if (source !== "server") throw new Error("clients may not change this actor's state");
  }

  // ---------- helpers ----------

  /** Stores a message in a session and sends it to every client as `chat.message`. Null when the session does not exist. */
  private async post(sessionId: string, message: NewMessage, extras: MessageExtras = {}): Promise<ChatMessage | null> {
    const stored = this.chat.append(sessionId, message, extras);
    if (stored) this.socket.send({ type: "chat.message", message: stored });
    return stored;
  }

  /** Answers the question task `taskId` of this project waits on, as `from`; the refusal when it is not this project's or not waiting. */
  private async answerTask(taskId: string, text: string, from: string): Promise<{ ok: true } | { ok: false; message: string }> {
    if (!readTaskView(this.ctx.storage.sql, taskId)) return { ok: false, message: `no task ${taskId} in this project` };
    const result = await (await getAgentByName(this.env.TaskAgent, taskId)).answer(text, from);
    return result.ok ? { ok: true } : { ok: false, message: result.message };
  }

  /** The project's `voice` session (the newest, when there are several), created titled "Voice" when it has none. */
  private voiceSessionId(): string {
    return this.chat.listSessions().find((session) => session.kind === "voice")?.id ?? this.chat.createSession("Voice", "voice").id;
  }

  private fireContext(): FireContext {
    return { env: this.env, sql: this.ctx.storage.sql, projectId: this.name };
  }

  private settings(): ProjectSettings {
    return readSettings(this.ctx.storage.sql);
  }

  /** What a tech-lead reply to `user` in `sessionId` needs, read when its turn starts; no tools unless `withTools` (lead-host.ts). */
  private leadContext(sessionId: string, user: { id: string; name: string }, withTools = true): LeadReplyContext {
    const { env, chat, name } = this;
    const source = { env, storage: this.ctx.storage, chat, name, techLead: this.settings().techLead, mcpTools: () => this.leadMcp.toolSet() };
    return leadReplyContext({ ...source, post: (target, message, extras) => this.post(target, message, extras), send: (frame) => this.socket.send(frame) }, sessionId, user, withTools);
  }
}
