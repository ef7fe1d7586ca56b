/**
 * A voice turn as the Agents SDK's pipeline reads it (`onTurn`'s result): the project actor's
 * turn (`ProjectAgent.voiceTurn`, one implementation of the tech lead for text and voice) read
 * from its stream of events (tech-lead/voice-turn.ts) and turned into the AI SDK stream parts the
 * SDK understands — `text-delta` for the reply (sentence-chunked into speech by the SDK), a
 * `tool-call` boundary when the tech lead calls a tool (what it said before is spoken while the
 * tool runs), `finish`, or `error` (the SDK sends the client an `error` frame with its message).
 * An abort of the SDK's signal (barge-in, interrupt, end of call) interrupts the project's turn.
 */
import { getAgentByName } from "agents";
import { decodeVoiceTurnEvents, type VoiceTurnRequest } from "../tech-lead/voice-turn.ts";

/** A stream part as the SDK's text pipeline reads it (a subset of the AI SDK's). */
export type VoiceStreamPart =
  | { type: "text-delta"; text: string }
  | { type: "tool-call"; toolName: string }
  | { type: "finish"; finishReason: "stop" }
  | { type: "error"; error: Error };

/** A turn that ended without a reply: its code (`budget_exceeded`, `no_lead_model`, ...) and the message posted in the chat. */
export class VoiceTurnError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "VoiceTurnError";
    this.code = code;
  }
}

async function* chunks(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/**
 * Runs `request` as a turn of project `projectId`'s tech lead and yields its reply as stream
 * parts (see the module's comment); ends after `finish` or `error`, or when `signal` aborts (the
 * project is told, `abortVoiceTurn`, and the stream cancelled). A turn aborted before it started
 * is not asked for.
 */
export async function* projectTurnParts(env: Env, projectId: string, request: VoiceTurnRequest, signal: AbortSignal): AsyncGenerator<VoiceStreamPart> {
  if (signal.aborted) return;
  const project = await getAgentByName(env.ProjectAgent, projectId);
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  const onAbort = () => {
    project.abortVoiceTurn(request.turnId).catch((error: unknown) => console.error(`voice: interrupting turn ${request.turnId} failed: ${String(error)}`));
    reader?.cancel().catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const stream = await project.voiceTurn(request);
    reader = stream.getReader();
    if (signal.aborted) {
      onAbort();
      return;
    }
    for await (const event of decodeVoiceTurnEvents(chunks(reader))) {
      switch (event.type) {
        case "session":
          break;
        case "text":
          yield { type: "text-delta", text: event.text };
          break;
        case "tool":
          yield { type: "tool-call", toolName: event.toolName };
          break;
        case "done":
          yield { type: "finish", finishReason: "stop" };
          return;
        case "error":
          yield { type: "error", error: new VoiceTurnError(event.code, event.message) };
          return;
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
