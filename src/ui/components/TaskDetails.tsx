/**
 * One task, live: status, model, steps, usage, where it runs (sandbox or VM, and the VM's cost),
 * its repository work, summary or error, Cancel while it can run, the
 * changed files, and the transcript (fetched on mount, then the `task.event` frames it watches, by seq).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { TERMINAL_TASK_STATUSES, type TaskView, type TranscriptEvent } from "../../shared/protocol.ts";
import { cancelTask, errorMessage, getTask, getTranscript } from "../lib/api.ts";
import { useCanWrite } from "../lib/projectAccess.tsx";
import { formatTime, formatUsage, isCancellable } from "../lib/format.ts";
import { lastSeq, mergeEvents, upsertTask } from "../lib/merge.ts";
import { Link, paths } from "../lib/router.tsx";
import { useProjectFrames, useWatchTask } from "../lib/socketContext.tsx";
import { AnswerForm } from "./AnswerForm.tsx";
import { ChangedFiles } from "./ChangedFiles.tsx";
import { Markdown } from "./Markdown.tsx";
import { TaskMessageForm } from "./TaskMessageForm.tsx";
import { TaskRepoFacts } from "./TaskRepoFacts.tsx";
import { TaskRuntimeFacts } from "./TaskRuntimeFacts.tsx";
import { ConnectionStatus } from "./ConnectionStatus.tsx";
import { StatusBadge } from "./StatusBadge.tsx";
import { Transcript } from "./Transcript.tsx";
import { FormError } from "./FormError.tsx";

/** Most transcript pages fetched in one catch-up (guards against a server that ignores `after`). */
const MAX_PAGES = 100;

/** The live view of a task. */
export function TaskDetails({ initialTask }: { initialTask: TaskView }) {
  const taskId = initialTask.id;
  const [task, setTask] = useState(initialTask);
  const [events, setEvents] = useState<TranscriptEvent[]>([]);
  const [transcriptLoaded, setTranscriptLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const canWrite = useCanWrite();
  const eventsRef = useRef(events);
  eventsRef.current = events;
  /** Catch-ups run one after another, so two never race over the same `after`. */
  const catchUpQueue = useRef<Promise<void>>(Promise.resolve());

  const applyTask = useCallback((next: TaskView) => setTask((current) => upsertTask([current], next)[0]), []);

  /** Fetches transcript pages after the last known seq until nothing new comes back. */
  const catchUp = useCallback(
    (signal?: AbortSignal): Promise<void> => {
      const run = async () => {
        if (signal?.aborted) return;
        let after = lastSeq(eventsRef.current);
        for (let page = 0; page < MAX_PAGES; page++) {
          const fresh = await getTranscript(taskId, after, signal);
          if (signal?.aborted) return;
          const newer = fresh.filter((e) => e.seq > after);
          if (newer.length === 0) break;
          eventsRef.current = mergeEvents(eventsRef.current, newer);
          setEvents(eventsRef.current);
          after = lastSeq(eventsRef.current);
        }
        setTranscriptLoaded(true);
      };
      const next = catchUpQueue.current.then(run, run);
      catchUpQueue.current = next.catch(() => {});
      return next;
    },
    [taskId],
  );

  const refreshTask = useCallback(() => {
    getTask(taskId)
      .then(applyTask)
      .catch(() => {});
  }, [taskId, applyTask]);

  // Watch first, then fetch: events in between arrive both ways and merge by seq.
  useWatchTask(taskId);
  useEffect(() => {
    const controller = new AbortController();
    catchUp(controller.signal).catch((err: unknown) => {
      if (!controller.signal.aborted) setError(`Could not load the transcript: ${errorMessage(err)}`);
    });
    return () => controller.abort();
  }, [catchUp]);

  useProjectFrames({
    onFrame: (frame) => {
      if (frame.type === "task.updated" && frame.task.id === taskId) {
        // A status change is journaled before it is published: catching up then closes any
        // gap left while the watch was on its way (no later event would reveal it).
        if (frame.task.status !== task.status) catchUp().catch(() => {});
        applyTask(frame.task);
      } else if (frame.type === "task.event" && frame.taskId === taskId) {
        const gap = frame.event.seq > lastSeq(eventsRef.current) + 1;
        eventsRef.current = mergeEvents(eventsRef.current, [frame.event]);
        setEvents(eventsRef.current);
        // Events we have not seen yet sit before this one: fetch them.
        if (gap) catchUp().catch(() => {});
        // A status change also changes summary, usage, etc., and an escalation the runtime: make sure the header catches up.
        if (frame.event.type === "status" || frame.event.type === "escalation") refreshTask();
      }
    },
    onOpen: () => {
      refreshTask();
      catchUp().catch(() => {});
    },
  });

  const cancel = async () => {
    setCancelling(true);
    setError(null);
    try {
      await cancelTask(taskId);
      refreshTask();
    } catch (err) {
      setError(`Could not cancel: ${errorMessage(err)}`);
    } finally {
      setCancelling(false);
    }
  };

  return (
    <div className="page task-page">
      <div className="page-head">
        <Link to={paths.project(task.projectId)} className="muted small">
          ← Project
        </Link>
        <span className="topbar-spacer" />
        <ConnectionStatus />
      </div>
      <section className="card task-summary">
        <div className="task-title-row">
          <h1 className="task-title">{task.prompt}</h1>
          <StatusBadge status={task.status} testId="task-status" />
        </div>
        <dl className="facts">
          <div>
            <dt>Model</dt>
            <dd data-testid="task-model">{task.model}</dd>
          </div>
          <div>
            <dt>Steps</dt>
            <dd data-testid="task-steps">{task.steps}</dd>
          </div>
          <div>
            <dt>Usage</dt>
            <dd data-testid="task-usage">{formatUsage(task.usage)}</dd>
          </div>
          {task.missionId && (
            <div>
              <dt>Mission</dt>
              <dd className="mono" data-testid="task-mission">
                {task.missionId}
              </dd>
            </div>
          )}
          {task.parentTaskId && (
            <div>
              <dt>Parent task</dt>
              <dd>
                <Link to={paths.task(task.parentTaskId)} className="mono" data-testid="task-parent">
                  {task.parentTaskId}
                </Link>
              </dd>
            </div>
          )}
          <TaskRuntimeFacts runtime={task.runtime} />
          <TaskRepoFacts repo={task.repo} />
          <div>
            <dt>Created</dt>
            <dd>{formatTime(task.createdAt)}</dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>{formatTime(task.updatedAt)}</dd>
          </div>
        </dl>
        {task.status === "waiting" && task.question && (
          <div className="task-question" data-testid="task-question">
            <h2>Waiting for your answer</h2>
            <Markdown text={task.question} testId="task-question-text" />
            {canWrite && <AnswerForm taskId={taskId} onAnswered={applyTask} />}
          </div>
        )}
        {task.summary && (
          <div className="task-result">
            <h2>Summary</h2>
            <Markdown text={task.summary} testId="task-summary" />
          </div>
        )}
        {task.error && (
          <div className="task-result task-error">
            <h2>Error</h2>
            <p className="pre-wrap" data-testid="task-error">
              {task.error}
            </p>
          </div>
        )}
        {canWrite && isCancellable(task.status) && (
          <button type="button" className="danger" data-testid="task-cancel-button" onClick={cancel} disabled={cancelling}>
            {cancelling ? "Cancelling…" : "Cancel task"}
          </button>
        )}
        <FormError message={error} />
      </section>
      {canWrite && task.status === "running" && <TaskMessageForm taskId={taskId} />}
      {task.changedFiles.length > 0 && <ChangedFiles taskId={taskId} files={task.changedFiles} status={task.status} />}
      <section className="card">
        <h2>Transcript</h2>
        <Transcript events={events} loaded={transcriptLoaded} taskEnded={TERMINAL_TASK_STATUSES.includes(task.status)} />
      </section>
    </div>
  );
}
