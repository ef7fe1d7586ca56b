/**
 * The task's outbox to its project: transcript events and the latest view, sent to
 * `ProjectAgent.publishTaskUpdate`, which fans them out to clients. Progress events wait up to
 * PUBLISH_BATCH_MS so that one RPC carries several; status changes go at once.
 */
import { getAgentByName } from "agents";
import type { TaskRuntimeView, TaskView, TranscriptEvent } from "../../shared/protocol.ts";
import type { ProjectAgent } from "../project/project-agent.ts";
import type { TaskRowStore } from "./row-store.ts";
import { toView } from "./view.ts";

/**
 * How long progress events may wait to be sent together, in ms: short enough to look live to a
 * person, long enough that a fast loop sends one RPC per several steps (see `npm run bench`).
 */
export const PUBLISH_BATCH_MS = 25;

/** The batched publisher of one task actor. */
export class TaskOutbox {
  /** The project's stub, made once per instance (each `getAgentByName` costs a round trip). */
  private projectStub: Promise<DurableObjectStub<ProjectAgent>> | null = null;
  /** Events (and the latest view) waiting to be sent. */
  private queued: { events: TranscriptEvent[]; view: TaskView | null } = { events: [], view: null };
  /** The running flush, if any; it settles once the outbox is empty. */
  private flushing: Promise<void> | null = null;
  /** Pending delayed flush of progress events. */
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  private readonly env: Env;
  private readonly store: TaskRowStore;
  /** Where the task runs now, for the view (escalation.ts); absent: the view has no `runtime`. */
  runtime: (() => TaskRuntimeView) | null = null;

  constructor(env: Env, store: TaskRowStore) {
    this.env = env;
    this.store = store;
  }

  /**
   * Queues `events` (and, when `withView`, the task's view as of now) for the project. Progress
   * events wait up to PUBLISH_BATCH_MS and go in journal order with the latest view; `urgent`
   * ones (status changes) go at once, and the returned promise settles when they were
   * delivered. Failures are logged, never thrown: the transcript is the source of truth and
   * clients catch up from it.
   * @throws Error when this actor holds no task.
   */
  publish(events: TranscriptEvent[], withView: boolean, urgent: boolean): Promise<void> {
    const row = this.store.mustRow();
    this.queued.events.push(...events);
    if (withView) this.queued.view = toView(row, this.runtime?.());
    if (urgent) return this.drain(row.id, row.project_id);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.drain(row.id, row.project_id);
    }, PUBLISH_BATCH_MS);
    return Promise.resolve();
  }

  /** Sends everything queued now; settles when the outbox is empty. */
  private drain(taskId: string, projectId: string): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    this.flushing ??= this.flush(taskId, projectId).finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flush(taskId: string, projectId: string): Promise<void> {
    while (this.queued.events.length > 0 || this.queued.view) {
      const batch = this.queued;
      this.queued = { events: [], view: null };
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
