/**
 * What an interrupted turn of the tech lead leaves in its conversation (a voice turn's barge-in
 * aborts the model call mid-turn): the steps that finished, and of the step that was cut off its
 * text so far and only the tool calls that had started (each of which was let finish), each call
 * with its result, so the conversation stays valid for the next turn and nothing half-done is
 * left. Pure.
 */
import type { JSONValue } from "@ai-sdk/provider";
import type { ModelMessage } from "ai";

/** A tool call the turn made, with its outcome once known. */
export interface JournaledCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
  /** Whether its execution started (only started calls of the cut step are kept). */
  started: boolean;
  /** Its result, or its error's message; absent while unknown. */
  outcome?: { ok: true; output: unknown } | { ok: false; message: string };
}

/** One model step of the turn as it streamed: its text and its tool calls. */
export interface JournaledStep {
  text: string;
  calls: JournaledCall[];
}

/** A JSON value of `value` (as JSON would round-trip it; `undefined` becomes null). */
function jsonValue(value: unknown): JSONValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JSONValue;
}

/**
 * The model messages of an interrupted turn, from `finished` steps and the `cut` one: per step
 * an assistant message (its text, then its tool calls) and, when it called tools, a tool message
 * with each call's result (`json`) or error (`error-text`). Of every step, a call with no known
 * outcome is left out, and so is a call of the cut step that never started; a step left with
 * neither text nor calls gives no message. Returns them in order.
 */
export function interruptedTurnMessages(finished: readonly JournaledStep[], cut: JournaledStep): ModelMessage[] {
  const messages: ModelMessage[] = [];
  const steps = [...finished.map((step) => ({ step, isCut: false })), { step: cut, isCut: true }];
  for (const { step, isCut } of steps) {
    const calls = step.calls.filter((call) => call.outcome !== undefined && (!isCut || call.started));
    const text = step.text;
    if (text.trim() === "" && calls.length === 0) continue;
    messages.push({
      role: "assistant",
      content: [
        ...(text.trim() === "" ? [] : [{ type: "text" as const, text }]),
        ...calls.map((call) => ({ type: "tool-call" as const, toolCallId: call.toolCallId, toolName: call.toolName, input: call.input })),
      ],
    });
    if (calls.length === 0) continue;
    messages.push({
      role: "tool",
      content: calls.map((call) => ({
        type: "tool-result" as const,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: call.outcome?.ok ? { type: "json" as const, value: jsonValue(call.outcome.output) } : { type: "error-text" as const, value: call.outcome?.ok === false ? call.outcome.message : "" },
      })),
    });
  }
  return messages;
}

/** The text an interrupted reply is stored with: what it had said, then "(interrupted)". */
export function interruptedText(text: string): string {
  return text.trim() === "" ? "(interrupted)" : `${text.trimEnd()} … (interrupted)`;
}
