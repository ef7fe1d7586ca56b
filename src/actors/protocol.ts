/**
 * The frame protocol: every WebSocket frame between clients and actors, and the shared
 * shapes they carry (messages, tasks, transcript events). Defined once, with zod; the actors,
 * the UI, the CLI and the embeddable client all import from here.
 */
import { z } from "zod";
import { sessionIdSchema } from "../ids.ts";

/** Longest chat message accepted, in characters. */
export const MAX_MESSAGE_CHARS = 32_000;

/** A stored chat message. `seq` counts 1, 2, 3... within its session, with no gaps. */
export const chatMessageSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  seq: z.number().int().positive(),
  role: z.enum(["user", "assistant", "system"]),
  author: z.string(),
  text: z.string(),
  /** ISO 8601 time. */
  createdAt: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** A chat session of a project. */
export const chatSessionSchema = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  /** Number of messages stored so far (the last seq). */
  messageCount: z.number().int().nonnegative(),
});
export type ChatSession = z.infer<typeof chatSessionSchema>;

export const taskStatusSchema = z.enum(["queued", "running", "waiting", "succeeded", "failed", "cancelled"]);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

/** Terminal statuses: a task in one of these never changes again. */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ["succeeded", "failed", "cancelled"];

/** Token and cost totals; cost in USD. */
export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
});
export type Usage = z.infer<typeof usageSchema>;

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
  error: z.string().nullable(),
  usage: usageSchema,
  /** Workspace-relative paths the task changed (known once it ends). */
  changedFiles: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TaskView = z.infer<typeof taskViewSchema>;

/**
 * One entry of a task's append-only transcript. `seq` counts 1, 2, 3... per task.
 * - `status`: a status change (with the reason for failures).
 * - `model_step`: a finished model call: its text, the tool calls it asked for, usage.
 * - `tool_call`: a tool call about to run (name and input).
 * - `tool_result`: its outcome: output (capped), exit code for bash, duration in ms, error flag.
 */
export const transcriptEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("status"),
    seq: z.number().int(),
    at: z.string(),
    status: taskStatusSchema,
    reason: z.string().optional(),
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
]);
export type TranscriptEvent = z.infer<typeof transcriptEventSchema>;

/** Distributes Omit over a union, so each event kind keeps its own fields. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A transcript event before the actor gives it its `seq` and time. */
export type NewTranscriptEvent = DistributiveOmit<TranscriptEvent, "seq" | "at">;

// ---- Frames from clients to ProjectAgent ----

/** Client → ProjectAgent frames. */
export const clientFrameSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("chat.send"),
    sessionId: sessionIdSchema,
    text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
  }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

// ---- Frames from ProjectAgent to clients ----

/** ProjectAgent → client frames. */
export const serverFrameSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("chat.message"), message: chatMessageSchema }),
  z.object({ type: z.literal("task.updated"), task: taskViewSchema }),
  z.object({ type: z.literal("task.event"), taskId: z.string(), event: transcriptEventSchema }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** Error codes sent in `error` frames. */
export type FrameErrorCode = "invalid_json" | "invalid_frame" | "not_found" | "internal";
