/**
 * Following a task or a mission live. The transcript and the views are read over HTTP (the
 * source of truth: nothing is missed or shown twice, events come in `seq` order); the project's
 * WebSocket (`sam/client`, watching the task) only says "something changed" so the next read
 * happens at once instead of at the next poll. Without the socket it still works, a poll
 * interval later.
 */
import { connectProject, type ProjectClient } from "../client/project-client.ts";
import { TERMINAL_MISSION_STATUSES, TERMINAL_TASK_STATUSES, type MissionView, type TaskView, type TranscriptEvent } from "../shared/protocol.ts";
import type { SamApi } from "./api.ts";

/** How often the views are read when the socket says nothing, in ms. */
export const POLL_INTERVAL_MS = 2_000;

/** A wake-up signal: resolves the current wait early when the socket reports a change. */
class Waker {
  private wake: (() => void) | null = null;
  /** Waits up to `ms`, or until `ring()`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
  ring(): void {
    this.wake?.();
  }
}

/** Opens the project's socket as a change signal for `taskIds` (null when it cannot be opened). */
function changeSignal(api: SamApi, projectId: string, taskIds: string[], waker: Waker): ProjectClient | null {
  if (!api.token) return null;
  try {
    const url = new URL(api.url);
    const client = connectProject({ host: url.host, projectId, token: api.token, secure: url.protocol === "https:" });
    client.socket.addEventListener("error", () => undefined);
    if (taskIds.length > 0) client.watchTasks(taskIds);
    client.onFrame((frame) => {
      if (frame.type === "task.event" || frame.type === "task.updated" || frame.type === "mission.updated") waker.ring();
    });
    return client;
  } catch {
    return null;
  }
}

/** Reads the transcript events after `after` (every page). */
export async function transcriptAfter(api: SamApi, taskId: string, after: number): Promise<TranscriptEvent[]> {
  const events: TranscriptEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await api.get<{ events: TranscriptEvent[] }>(`/api/tasks/${encodeURIComponent(taskId)}/transcript?after=${cursor}&limit=1000`);
    if (page.events.length === 0) return events;
    events.push(...page.events);
    cursor = page.events[page.events.length - 1].seq;
  }
}

/** What `followTask` reports as it goes. */
export interface TaskFollower {
  /** Each new transcript event, in order (only when `events` is true). */
  onEvent?(event: TranscriptEvent): void;
  /** The task's view whenever it was read. */
  onView?(task: TaskView): void;
}

/**
 * Follows task `taskId` until it ends (succeeded, failed, cancelled) — or, with
 * `untilWaiting`, until it waits for an answer. Shows events after seq `after` (0: all).
 * Returns the last view.
 * @throws CliError when the API fails.
 */
export async function followTask(api: SamApi, taskId: string, follower: TaskFollower, options: { after?: number; events?: boolean; untilWaiting?: boolean } = {}): Promise<TaskView> {
  const waker = new Waker();
  let task = await api.get<TaskView>(`/api/tasks/${encodeURIComponent(taskId)}`);
  const client = changeSignal(api, task.projectId, [taskId], waker);
  let seq = options.after ?? 0;
  try {
    for (;;) {
      if (options.events) {
        for (const event of await transcriptAfter(api, taskId, seq)) {
          seq = event.seq;
          follower.onEvent?.(event);
        }
      }
      task = await api.get<TaskView>(`/api/tasks/${encodeURIComponent(taskId)}`);
      follower.onView?.(task);
      if (TERMINAL_TASK_STATUSES.includes(task.status) || (options.untilWaiting && task.status === "waiting")) {
        // The last events may have landed between the transcript read and the view read.
        if (options.events) for (const event of await transcriptAfter(api, taskId, seq)) follower.onEvent?.(event);
        return task;
      }
      await waker.wait(POLL_INTERVAL_MS);
    }
  } finally {
    client?.close();
  }
}

/** Follows mission `missionId` until it ends; `onView` gets every read of it. Returns the last view. */
export async function followMission(api: SamApi, missionId: string, onView: (mission: MissionView) => void): Promise<MissionView> {
  const waker = new Waker();
  let mission = await api.get<MissionView>(`/api/missions/${encodeURIComponent(missionId)}`);
  const client = changeSignal(api, mission.projectId, [], waker);
  try {
    for (;;) {
      mission = await api.get<MissionView>(`/api/missions/${encodeURIComponent(missionId)}`);
      onView(mission);
      if (TERMINAL_MISSION_STATUSES.includes(mission.status)) return mission;
      await waker.wait(POLL_INTERVAL_MS);
    }
  } finally {
    client?.close();
  }
}
