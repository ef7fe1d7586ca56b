/**
 * A task's transcript in seq order: status changes, model steps (their text), one card per
 * tool call (its `tool_call` and `tool_result` events joined by toolCallId), the messages
 * given to the task from outside (check-ins, messages, answers), and the steps of a move to a
 * VM (`escalation`: phase, reason, provider and server type, cost).
 */
import type { TranscriptEvent } from "../../shared/protocol.ts";
import { formatDuration, formatTime, formatUsage } from "../lib/format.ts";
import { ESCALATION_PHASE_LABELS, escalationDetail, type EscalationEvent } from "../lib/runtime.ts";
import { Markdown } from "./Markdown.tsx";
import { StatusBadge } from "./StatusBadge.tsx";
import { ToolCallCard, type ToolCallView } from "./ToolCallCard.tsx";

type StatusEvent = Extract<TranscriptEvent, { type: "status" }>;
type ModelStepEvent = Extract<TranscriptEvent, { type: "model_step" }>;
type TaskMessageEvent = Extract<TranscriptEvent, { type: "message" }>;

/** One thing to draw in the transcript. */
export type TranscriptItem =
  | { kind: "status"; key: string; event: StatusEvent }
  | { kind: "model_step"; key: string; event: ModelStepEvent }
  | { kind: "tool"; key: string; call: ToolCallView }
  | { kind: "message"; key: string; event: TaskMessageEvent }
  | { kind: "escalation"; key: string; event: EscalationEvent };

/** Groups events into transcript items; a tool card sits where its first event is. */
export function transcriptItems(events: readonly TranscriptEvent[]): TranscriptItem[] {
  const items: TranscriptItem[] = [];
  const cards = new Map<string, ToolCallView>();
  for (const event of events) {
    switch (event.type) {
      case "status":
        items.push({ kind: "status", key: `s${event.seq}`, event });
        break;
      case "model_step":
        items.push({ kind: "model_step", key: `m${event.seq}`, event });
        break;
      case "message":
        items.push({ kind: "message", key: `g${event.seq}`, event });
        break;
      case "escalation":
        items.push({ kind: "escalation", key: `e${event.seq}`, event });
        break;
      case "tool_call":
      case "tool_result": {
        let card = cards.get(event.toolCallId);
        if (!card) {
          card = { toolCallId: event.toolCallId, toolName: event.toolName, step: event.step, hasInput: false, input: undefined, result: null };
          cards.set(event.toolCallId, card);
          items.push({ kind: "tool", key: `t${event.toolCallId}`, call: card });
        }
        if (event.type === "tool_call") {
          card.hasInput = true;
          card.input = event.input;
        } else {
          card.result = {
            output: event.output,
            isError: event.isError,
            exitCode: event.exitCode,
            durationMs: event.durationMs,
          };
        }
        break;
      }
    }
  }
  return items;
}

/** Renders the transcript events; `taskEnded` once the task is in a terminal status. */
export function Transcript({ events, loaded, taskEnded }: { events: TranscriptEvent[]; loaded: boolean; taskEnded: boolean }) {
  if (events.length === 0) return <p className="muted">{loaded ? "Nothing in the transcript yet." : "Loading…"}</p>;
  return (
    <ol className="transcript">
      {transcriptItems(events).map((item) => (
        <li key={item.key}>
          {item.kind === "status" && <StatusLine event={item.event} />}
          {item.kind === "model_step" && <ModelStep event={item.event} />}
          {item.kind === "tool" && <ToolCallCard call={item.call} taskEnded={taskEnded} />}
          {item.kind === "message" && <MessageLine event={item.event} />}
          {item.kind === "escalation" && <EscalationLine event={item.event} />}
        </li>
      ))}
    </ol>
  );
}

function StatusLine({ event }: { event: StatusEvent }) {
  return (
    <div className="transcript-status" data-testid="transcript-status">
      <span className="muted small">{formatTime(event.at)}</span> Status <StatusBadge status={event.status} />
      {event.reason && <span className="status-reason"> {event.reason}</span>}
    </div>
  );
}

function ModelStep({ event }: { event: ModelStepEvent }) {
  const calls = event.toolCalls.length;
  return (
    <div className="model-step" data-testid="model-step">
      <div className="model-step-meta muted small">
        Step {event.step} · {event.finishReason}
        {calls > 0 && ` · ${calls} tool call${calls === 1 ? "" : "s"}`} · {formatUsage(event.usage)} ·{" "}
        {formatDuration(event.durationMs)}
      </div>
      {event.text.trim() && <Markdown text={event.text} className="model-step-text" />}
    </div>
  );
}

const MESSAGE_LABELS: Record<TaskMessageEvent["kind"], string> = {
  check_in: "Check-in",
  message: "Message",
  answer: "Answer",
};

function MessageLine({ event }: { event: TaskMessageEvent }) {
  return (
    <div className={`transcript-message transcript-message-${event.kind}`} data-testid="transcript-message" data-kind={event.kind}>
      <div className="muted small">
        {formatTime(event.at)} · <strong>{MESSAGE_LABELS[event.kind]}</strong> from {event.from}
      </div>
      <div className="pre-wrap">{event.text}</div>
    </div>
  );
}

function EscalationLine({ event }: { event: EscalationEvent }) {
  const detail = escalationDetail(event);
  return (
    <div className={`transcript-escalation transcript-escalation-${event.phase}`} data-testid="transcript-escalation" data-phase={event.phase}>
      <div className="muted small">
        {formatTime(event.at)} · <strong>{ESCALATION_PHASE_LABELS[event.phase]}</strong>
        {detail && <span className="mono"> · {detail}</span>}
      </div>
      {event.reason && (
        <div className="pre-wrap" data-testid="transcript-escalation-reason">
          {event.reason}
        </div>
      )}
    </div>
  );
}
