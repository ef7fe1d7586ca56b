/**
 * What each producer tells a user (pure): the notification for a task that ended or waits for an
 * answer, a mission that ended, a mention in a chat. Titles fit NotificationSchema's 200
 * characters, bodies its 2000; each carries the `dedupeKey` that makes a replayed producer
 * (a retried end after a crash, an alarm delivered twice) store one notification.
 */
import type { NewNotification } from "../../shared/notification.ts";
import type { MissionView, TaskView } from "../../shared/protocol.ts";

/** Longest quote of a prompt or goal in a title, in characters. */
const QUOTE_CHARS = 60;
/** Longest body, in characters (newNotificationSchema's limit). */
const BODY_CHARS = 2000;

/** The first line of `text`, trimmed, cut to `max` characters with an ellipsis. */
export function quoteStart(text: string, max = QUOTE_CHARS): string {
  const line = text.trim().split("\n")[0].trim();
  return line.length > max ? `${line.slice(0, max - 1).trimEnd()}…` : line;
}

/** `text` cut to the body's limit with an ellipsis. */
function bodyOf(text: string): string {
  return text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS - 1)}…` : text;
}

/**
 * The notification for a task's end, or null when it is not news to a person: a mission's task
 * or a child task (their mission or parent hears of it), a cancelled task (someone cancelled
 * it), a task not ended. Link `/tasks/<id>`; body the summary, or the failure's message.
 */
export function taskEndedNotice(view: Pick<TaskView, "id" | "projectId" | "status" | "prompt" | "summary" | "error" | "missionId" | "parentTaskId">): NewNotification | null {
  if (view.missionId || view.parentTaskId) return null;
  if (view.status !== "succeeded" && view.status !== "failed") return null;
  const kind = view.status === "succeeded" ? "task.succeeded" : "task.failed";
  return {
    kind,
    title: `Task "${quoteStart(view.prompt)}" ${view.status}`,
    body: bodyOf((view.status === "succeeded" ? view.summary : view.error) ?? ""),
    link: `/tasks/${view.id}`,
    projectId: view.projectId,
    subjectId: view.id,
    dedupeKey: `${kind}:${view.id}`,
  };
}

/**
 * The notification for a task that asks a person (`ask_human`) and waits: for its starter,
 * mission tasks and child tasks included (only a person can answer). Deduplicated by the
 * question (the tool call's id).
 */
export function taskWaitingNotice(task: { id: string; projectId: string; prompt: string }, questionId: string, question: string): NewNotification {
  return {
    kind: "task.waiting",
    title: `Task "${quoteStart(task.prompt)}" asks you a question`,
    body: bodyOf(question),
    link: `/tasks/${task.id}`,
    projectId: task.projectId,
    subjectId: task.id,
    dedupeKey: `task.waiting:${task.id}:${questionId}`,
  };
}

/** The notification for a mission's end (succeeded, failed or cancelled): its summary, linking to its project. */
export function missionEndedNotice(view: Pick<MissionView, "id" | "projectId" | "goal" | "status" | "summary" | "error">): NewNotification {
  return {
    kind: "mission.ended",
    title: `Mission "${quoteStart(view.goal)}" ${view.status}`,
    body: bodyOf(view.summary ?? view.error ?? ""),
    link: `/projects/${view.projectId}`,
    projectId: view.projectId,
    subjectId: view.id,
    dedupeKey: `mission.ended:${view.id}`,
  };
}

/** The notification for a mention (`@name`) in a project's chat, linking to the session. */
export function mentionNotice(mention: { projectId: string; projectName: string; sessionId: string; messageId: string; authorName: string; text: string }): NewNotification {
  return {
    kind: "chat.mention",
    title: quoteStart(`${mention.authorName} mentioned you in ${mention.projectName}`, 200),
    body: bodyOf(mention.text),
    link: `/projects/${mention.projectId}/sessions/${mention.sessionId}`,
    projectId: mention.projectId,
    subjectId: mention.messageId,
    dedupeKey: `chat.mention:${mention.messageId}`,
  };
}
