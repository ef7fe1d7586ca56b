/**
 * The frame protocol: every WebSocket frame between clients and actors, and the shared
 * shapes they carry (messages, tasks, transcript events). Defined once, with zod; the actors,
 * the UI, the CLI and the embeddable client all import from here.
 */
import { z } from "zod";
import { taskRepoViewSchema } from "./repository.ts";
import { sessionIdSchema, taskIdSchema } from "../ids.ts";
import { embedCapabilitySchema } from "./embed.ts";
import { MAX_MESSAGE_PAGE } from "./project-settings.ts";
import { newNotificationSchema } from "./notification.ts";

/**
 * Header names the Worker uses to pass the authenticated user to the project actor with a
 * WebSocket upgrade (set by the Worker after it checked the token; never taken from a client).
 * This one carries the user's id.
 */
export const USER_ID_HEADER = "x-sam-user-id";
/** The user's display name (the chat's `author`), set by the Worker like {@link USER_ID_HEADER}. */
export const USER_NAME_HEADER = "x-sam-user-name";
/** The user's role in the project (`owner`, `member` or `viewer`), set by the Worker like the user headers. */
export const USER_ROLE_HEADER = "x-sam-user-role";
/** The id of the token the connection was opened with, set by the Worker (so revoking it closes the socket). */
export const TOKEN_ID_HEADER = "x-sam-token-id";
/** Header by which the Worker tells the project actor when a person's token expires (ISO 8601; absent: never); set only by the Worker. */
export const CREDENTIAL_EXPIRES_HEADER = "x-sam-credential-expires";

/** Longest chat message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 32_000;

/**
 * A tool call the tech lead made during a reply, with its result: shown in the chat as a card,
 * live and in history. `output` is the tool's JSON result (or error text), capped.
 */
export const toolCardSchema = z.object({
  toolCallId: z.string(),
  toolName: z.string(),
  input: z.unknown(),
  output: z.unknown(),
  isError: z.boolean(),
});
/** A tool call of the tech lead with its result; see {@link toolCardSchema}. */
export type ToolCard = z.infer<typeof toolCardSchema>;

/**
 * Who wrote a chat message: a person (`user`, their user id), the project's tech lead
 * (`tech-lead`, id `tech-lead`), a task (`task`, its task id: its questions) or SAM itself
 * (`system`, id `sam`).
 */
export const chatAuthorSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["user", "tech-lead", "task", "system"]),
});
export type ChatAuthor = z.infer<typeof chatAuthorSchema>;

/** The tech lead as the author of its replies and of the project's notices. */
export const TECH_LEAD_AUTHOR: ChatAuthor = { id: "tech-lead", name: "tech lead", kind: "tech-lead" };
/** SAM itself as the author of its own notes in the chat (errors, help). */
export const SYSTEM_AUTHOR: ChatAuthor = { id: "sam", name: "SAM", kind: "system" };

/** A stored chat message. `seq` counts 1, 2, 3... within its session, with no gaps. */
export const chatMessageSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  seq: z.number().int().positive(),
  role: z.enum(["user", "assistant", "system"]),
  author: chatAuthorSchema,
  text: z.string(),
  /** Tool calls the tech lead made while writing this message, in order. */
  cards: z.array(toolCardSchema).default([]),
  /** For a streamed reply: the draft id its `chat.delta` frames carried, so clients replace the draft. */
  draftId: z.string().nullable().default(null),
  /** ISO 8601 time. */
  createdAt: z.string(),
});
/** A stored chat message; see {@link chatMessageSchema}. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/**
 * `chat`: people talk, the tech lead answers only to `@lead`; `tech-lead`: it answers every
 * message; `voice`: the project's voice conversations with the tech lead (the speakers' words
 * and its replies, stored by the voice turns of `/agents/tech-lead-voice/<projectId>`; it
 * answers typed messages there too).
 */
export const sessionKindSchema = z.enum(["chat", "tech-lead", "voice"]);
/** `chat`, `tech-lead` or `voice`; see {@link sessionKindSchema}. */
export type SessionKind = z.infer<typeof sessionKindSchema>;

/** A chat session of a project. */
export const chatSessionSchema = z.object({
  id: z.string(),
  title: z.string(),
  kind: sessionKindSchema.default("chat"),
  createdAt: z.string(),
  /** Number of messages stored so far (the last seq). */
  messageCount: z.number().int().nonnegative(),
});
/** A chat session of a project; see {@link chatSessionSchema}. */
export type ChatSession = z.infer<typeof chatSessionSchema>;

/**
 * A task's lifecycle (docs/architecture.md §2.2): `queued` until its workspace exists, then
 * `running` (the loop) and `waiting` (on children or a person; no loop runs) in turn, then an
 * end: `succeeded`, `failed` or `cancelled` (see {@link TERMINAL_TASK_STATUSES}).
 */
export const taskStatusSchema = z.enum(["queued", "running", "waiting", "succeeded", "failed", "cancelled"]);
/** A task's status; see {@link taskStatusSchema}. */
export type TaskStatus = z.infer<typeof taskStatusSchema>;

/** Terminal statuses: a task in one of these never changes again. */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ["succeeded", "failed", "cancelled"];

/** Token and cost totals; cost in USD. */
export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
});
/** `{inputTokens, outputTokens, costUsd}`: token counts and USD. */
export type Usage = z.infer<typeof usageSchema>;

/**
 * Why a task failed or was cancelled, as a code that the mission, the UI and clients read
 * (never parsed out of the message): `budget_exceeded` (a budget ran out), `step_limit`
 * (`maxSteps` reached), `silence` (no progress after a check-in), `cancelled` (by a person,
 * its mission or its parent), `unexpected_error` (the model or workspace failed, a bad script),
 * `transcript_limit` (its transcript reached the most a task may store, MAX_TRANSCRIPT_BYTES in
 * src/actors/task/transcript-limits.ts).
 */
export const taskFailureCodeSchema = z.enum(["budget_exceeded", "step_limit", "silence", "cancelled", "unexpected_error", "transcript_limit"]);
/** Why a task failed or was cancelled; see {@link taskFailureCodeSchema}. */
export type TaskFailureCode = z.infer<typeof taskFailureCodeSchema>;
/** `{code, message}`: the code, and the reason in words. */
export const taskFailureSchema = z.object({ code: taskFailureCodeSchema, message: z.string() });
/** `{code, message}`; see {@link taskFailureSchema}. */
export type TaskFailure = z.infer<typeof taskFailureSchema>;

/** Where a task runs (issue 16): `tier` sandbox or vm; for a VM its provider (`hetzner`), server type, server id, and its cost so far in USD (hours × the server type's hourly price). */
export const taskRuntimeViewSchema = z.object({
  tier: z.enum(["sandbox", "vm"]),
  provider: z.string().nullable(),
  serverType: z.string().nullable(),
  serverId: z.string().nullable(),
  costUsd: z.number().nonnegative(),
});
/** `{tier, provider, serverType, serverId, costUsd}`; see {@link taskRuntimeViewSchema}. */
export type TaskRuntimeView = z.infer<typeof taskRuntimeViewSchema>;

/** A task as the API and the `task.updated` frame show it. Times are ISO 8601. */
export const taskViewSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  status: taskStatusSchema,
  prompt: z.string(),
  model: z.string(),
  /** Model steps finished so far. */
  steps: z.number().int().nonnegative(),
  summary: z.string().nullable(),
  /** The failure's message (`failure.message`), kept for clients that read it; null unless failed or cancelled. */
  error: z.string().nullable(),
  /** Why the task failed or was cancelled; null otherwise. */
  failure: taskFailureSchema.nullable().default(null),
  usage: usageSchema,
  /** Workspace-relative paths the task changed (known once it ends). */
  changedFiles: z.array(z.string()),
  /** The mission this task belongs to (directly or through its parent task), if any. */
  missionId: z.string().nullable().default(null),
  /** The parent task for a child task; null for a task started by a mission, the API or a person. */
  parentTaskId: z.string().nullable().default(null),
  /** 0 for a top-level task, parent's depth + 1 for a child. */
  depth: z.number().int().nonnegative().default(0),
  /** The question the task waits on (`ask_human`), while it waits. */
  question: z.string().nullable().default(null),
  /** Who started it (their user id): its costs land on their usage and budgets. Empty in views stored before it was recorded. */
  createdBy: z.string().default(""),
  /** Where the task runs now (issue 16): the sandbox, or a VM (absent in views stored before it existed: the sandbox) with its provider, server type, server id and cost so far (USD). */
  runtime: taskRuntimeViewSchema.optional(),
  /** The task's work on the project's repository (issue 16): its branch, the pushed commit, the pull request, or why they failed; null for a task without `repo`. */
  repo: taskRepoViewSchema.nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** A task as the API and `task.updated` show it, defaults filled in; see {@link taskViewSchema}. */
export type TaskView = z.infer<typeof taskViewSchema>;

/**
 * A mission's lifecycle (docs/architecture.md §2.3): `planning` until its first scheduling
 * pass, then `running` or `paused`, then an end (`succeeded`, `failed`, `cancelled`).
 */
export const missionStatusSchema = z.enum(["planning", "running", "paused", "succeeded", "failed", "cancelled"]);
/** A mission's status; see {@link missionStatusSchema}. */
export type MissionStatus = z.infer<typeof missionStatusSchema>;
/** Terminal mission statuses: a mission in one of these never changes again. */
export const TERMINAL_MISSION_STATUSES: readonly MissionStatus[] = ["succeeded", "failed", "cancelled"];

/**
 * A plan entry's state: `pending` (waiting on dependencies, a slot, or a resume), `running` (its
 * current attempt's task is active), the task's end state, or `skipped` (a dependency failed for good).
 */
export const missionTaskStatusSchema = z.enum(["pending", "running", "succeeded", "failed", "cancelled", "skipped"]);
/** A plan entry's status; see {@link missionTaskStatusSchema}. */
export type MissionTaskStatus = z.infer<typeof missionTaskStatusSchema>;

/** One task of a mission's plan as the API and `mission.updated` show it. */
export const missionTaskViewSchema = z.object({
  key: z.string(),
  prompt: z.string(),
  /** The current (latest) attempt's task id; null before the first start. */
  taskId: z.string().nullable(),
  status: missionTaskStatusSchema,
  dependsOn: z.array(z.string()),
  /** Attempts started so far (1 + retries). */
  attempts: z.number().int().nonnegative(),
  /** Why it failed or was skipped. */
  error: z.string().nullable(),
  /** Cost of every finished attempt, in USD and tokens. */
  usage: usageSchema,
});
/** One task of a mission's plan as shown; see {@link missionTaskViewSchema}. */
export type MissionTaskView = z.infer<typeof missionTaskViewSchema>;

/** A mission as the API and the `mission.updated` frame show it. Times are ISO 8601. */
export const missionViewSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  goal: z.string(),
  status: missionStatusSchema,
  tasks: z.array(missionTaskViewSchema),
  maxConcurrent: z.number().int().positive(),
  maxRetries: z.number().int().nonnegative(),
  /** USD the mission's model calls may spend together; null: no mission budget. */
  budgetUsd: z.number().nullable().default(null),
  /** The outcome in words, once the mission ended. */
  summary: z.string().nullable(),
  /** Why it failed or was cancelled. */
  error: z.string().nullable(),
  /** Totals over the tasks' finished attempts. */
  usage: usageSchema,
  /** Who started it (their user id): its tasks' costs land on their usage and budgets. Empty in views stored before it was recorded. */
  createdBy: z.string().default(""),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** A mission as the API and `mission.updated` show it; see {@link missionViewSchema}. */
export type MissionView = z.infer<typeof missionViewSchema>;

/**
 * One entry of a task's append-only transcript. `seq` counts 1, 2, 3... per task.
 * - `status`: a status change (with the reason for failures).
 * - `model_step`: a finished model call: its text, the tool calls it asked for, usage.
 * - `tool_call`: a tool call about to run (name and input).
 * - `tool_result`: its outcome: output (capped), exit code for bash, duration in ms, error flag.
 * - `message`: text given to the task from outside (a check-in, a message, an answer).
 * - `escalation`: a step of a move to a VM (issue 16): `requested`, `provisioning`, `ready` (its
 *   runner called back), `moved` (the workspace is on it), `failed`, `released` (deleted).
 */
export const transcriptEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("status"),
    seq: z.number().int(),
    at: z.string(),
    status: taskStatusSchema,
    reason: z.string().optional(),
    /** With `reason`: the failure's code (events journaled before codes existed have none). */
    code: taskFailureCodeSchema.optional(),
  }),
  z.object({
    type: z.literal("model_step"),
    seq: z.number().int(),
    at: z.string(),
    step: z.number().int(),
    text: z.string(),
    toolCalls: z.array(z.object({ toolCallId: z.string(), toolName: z.string(), input: z.unknown() })),
    finishReason: z.string(),
    usage: usageSchema,
    durationMs: z.number(),
  }),
  z.object({
    type: z.literal("tool_call"),
    seq: z.number().int(),
    at: z.string(),
    step: z.number().int(),
    toolCallId: z.string(),
    toolName: z.string(),
    input: z.unknown(),
  }),
  z.object({
    type: z.literal("tool_result"),
    seq: z.number().int(),
    at: z.string(),
    step: z.number().int(),
    toolCallId: z.string(),
    toolName: z.string(),
    output: z.string(),
    isError: z.boolean(),
    exitCode: z.number().int().nullable(),
    durationMs: z.number(),
  }),
  z.object({
    type: z.literal("message"),
    seq: z.number().int(),
    at: z.string(),
    /** `check_in`: the platform asked for progress; `message`: someone sent the task a message; `answer`: a person answered its question. */
    kind: z.enum(["check_in", "message", "answer"]),
    from: z.string(),
    text: z.string(),
  }),
  z.object({
    type: z.literal("escalation"),
    seq: z.number().int(),
    at: z.string(),
    /** Why: the agent's `request_vm` reason, the sandbox limit a command hit, `runtime: "vm"`, or why it failed or was released. */
    reason: z.string(),
    phase: z.enum(["requested", "provisioning", "ready", "moved", "failed", "released"]),
    provider: z.string().optional(),
    serverType: z.string().optional(),
    serverId: z.string().optional(),
    /** With `released`: what the VM cost, USD. */
    costUsd: z.number().optional(),
  }),
]);
/** One transcript event (a union on `type`); see {@link transcriptEventSchema}. */
export type TranscriptEvent = z.infer<typeof transcriptEventSchema>;

/** Distributes Omit over a union, so each event kind keeps its own fields. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A transcript event before the actor gives it its `seq` and time. */
export type NewTranscriptEvent = DistributiveOmit<TranscriptEvent, "seq" | "at">;

// ---- Frames from clients to ProjectAgent ----

/** Most tasks one connection may watch at once (`task.watch`). */
export const MAX_WATCHED_TASKS = 50;

/**
 * Client → ProjectAgent frames. `task.watch` replaces the set of tasks whose `task.event` frames
 * (their transcripts, live) this connection receives; an empty list stops them. Every connection
 * receives every `task.updated`; only a task's watchers receive its events, so a busy project
 * does not stream every transcript to every open page.
 */
export const clientFrameSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("chat.send"),
    sessionId: sessionIdSchema,
    text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
  }),
  z.object({
    type: z.literal("task.watch"),
    taskIds: z.array(taskIdSchema).max(MAX_WATCHED_TASKS),
  }),
  /** Answers the question a task waits on (as `POST /api/tasks/:taskId/answer` does). */
  z.object({
    type: z.literal("task.answer"),
    taskId: taskIdSchema,
    text: z.string().trim().min(1).max(10_000),
  }),
  /**
   * Asks for a page of a session's messages (as `GET .../sessions/:sessionId/messages?before=&limit=`
   * does, for clients that cannot call the API: embeds): at most `limit` (1…MAX_MESSAGE_PAGE,
   * DEFAULT_MESSAGE_PAGE when absent) just before seq `before` (the latest when absent). Answered
   * to this connection only with a `chat.history` frame (or a `not_found`/`forbidden` error).
   */
  z.object({
    type: z.literal("chat.history"),
    sessionId: sessionIdSchema,
    before: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(MAX_MESSAGE_PAGE).optional(),
  }),
  /** Asks for the project's tasks as last reported (newest first, at most MAX_TASK_LIST); answered to this connection only with a `task.list` frame. */
  z.object({ type: z.literal("task.list") }),
]);
/** A parsed client → ProjectAgent frame; see {@link clientFrameSchema}. */
export type ClientFrame = z.infer<typeof clientFrameSchema>;

// ---- Frames from ProjectAgent to clients ----

/** Most tasks a `task.list` frame carries (the newest). */
export const MAX_TASK_LIST = 100;

/**
 * What a connection may do, sent to it alone as its first frame (the `welcome` frame): who it is
 * (a person, or an embed token: id and name), its role in the project (an embed token's is
 * `viewer`), an embed token's `capabilities` (null for a person: their role decides), the one
 * chat session an embed token is bound to (null: any; always null for a person), and when an
 * embed token expires (ISO 8601; null for a person).
 */
export const welcomeSchema = z.object({
  type: z.literal("welcome"),
  user: z.object({ id: z.string(), name: z.string() }),
  role: z.enum(["owner", "member", "viewer"]),
  capabilities: z.array(embedCapabilitySchema).nullable(),
  sessionId: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
/** The `welcome` frame; see {@link welcomeSchema}. */
export type Welcome = z.infer<typeof welcomeSchema>;

/** ProjectAgent → client frames. */
export const serverFrameSchema = z.discriminatedUnion("type", [
  welcomeSchema,
  /**
   * A page of a session's messages, oldest first, answering this connection's `chat.history`
   * (`before` as asked, null for the latest); `hasMore`: older messages exist before the first.
   */
  z.object({ type: z.literal("chat.history"), sessionId: z.string(), before: z.number().int().nullable(), messages: z.array(chatMessageSchema), hasMore: z.boolean() }),
  /** The project's tasks, newest first (at most MAX_TASK_LIST), answering this connection's `task.list`. */
  z.object({ type: z.literal("task.list"), tasks: z.array(taskViewSchema) }),
  z.object({ type: z.literal("chat.message"), message: chatMessageSchema }),
  z.object({ type: z.literal("task.updated"), task: taskViewSchema }),
  /** Sent only to connections watching the task (`task.watch`). */
  z.object({ type: z.literal("task.event"), taskId: z.string(), event: transcriptEventSchema }),
  z.object({ type: z.literal("mission.updated"), mission: missionViewSchema }),
  /** A piece of the tech lead's reply as it streams; `draftId` names the reply until it is stored. */
  z.object({ type: z.literal("chat.delta"), sessionId: z.string(), draftId: z.string(), author: chatAuthorSchema, delta: z.string() }),
  /** A tool call of a streaming reply, with its result. */
  z.object({ type: z.literal("chat.card"), sessionId: z.string(), draftId: z.string(), card: toolCardSchema }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
  /**
   * Who is online in the project: every person (not embeds) with at least one open socket, sent
   * to everyone whenever a connection opens or closes.
   */
  z.object({ type: z.literal("presence"), users: z.array(z.object({ id: z.string(), name: z.string() })) }),
]);
/** A ProjectAgent → client frame; see {@link serverFrameSchema}. */
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/**
 * Error codes sent in `error` frames. `rate_limited`: the connection sent more frames than its
 * window allows (FRAME_RATE_LIMIT in src/actors/project/frames.ts); that frame was dropped and the
 * connection stays open.
 */
export type FrameErrorCode = "invalid_json" | "invalid_frame" | "not_found" | "forbidden" | "internal" | "rate_limited";

// ---- Frames from UserAgent to its user (`/agents/user-agent/<userId>`) ----

/** A stored notification as the per-user socket and `GET /api/notifications` show it (`Notification` of notification.ts). */
export const notificationSchema = newNotificationSchema.omit({ dedupeKey: true }).extend({
  id: z.string(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});

/**
 * UserAgent → its user's clients (every open socket of that user, and no one else's):
 * `notification.new` when a notification is stored (with the unread count after it);
 * `notification.unread` on connect and whenever the count changes by a read; `error` answers any
 * frame a client sends (the socket takes none besides the Agents SDK's own).
 */
export const userServerFrameSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("notification.new"), notification: notificationSchema, unreadCount: z.number().int().nonnegative() }),
  z.object({ type: z.literal("notification.unread"), unreadCount: z.number().int().nonnegative() }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
]);
/** A UserAgent → client frame; see {@link userServerFrameSchema}. */
export type UserServerFrame = z.infer<typeof userServerFrameSchema>;

/**
 * Parses a raw WebSocket message with `schema` (e.g. `serverFrameSchema`): the frame, or null
 * for binary data, text that is not JSON, or JSON the schema refuses (the Agents SDK's own
 * `cf_agent_*` frames, a frame type this client does not know). Every client of SAM's sockets
 * reads frames through this.
 */
export function parseFrame<T>(schema: z.ZodType<T>, data: unknown): T | null {
  if (typeof data !== "string") return null;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
