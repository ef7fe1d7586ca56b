/**
 * Voice turns as the project actor runs them (`ProjectAgent.voiceTurn` / `abortVoiceTurn`): the
 * speaker's words stored in the turn's session, the tech lead's reply queued there like any
 * other, and the reply streamed back to the voice actor as newline-delimited voice-turn events
 * (voice-turn.ts). Keeps the turns running or queued, by the voice actor's turn id, so a
 * barge-in can interrupt one.
 */
import type { ChatMessage } from "../../shared/protocol.ts";
import type { NewMessage } from "../project/chat-store.ts";
import { replyInSession, type LeadReplyContext } from "./reply.ts";
import type { TurnQueue } from "./turn-queue.ts";
import { encodeVoiceTurnEvent, voiceTurnRequestSchema, type VoiceTurnEvent, type VoiceTurnRequest } from "./voice-turn.ts";

/** What voice turns need from the project actor. */
export interface VoiceTurnHost {
  /** The tech lead's turns of one session run one after another. */
  leadTurns: TurnQueue;
  /** Whether `sessionId` is one of the project's sessions. */
  hasSession(sessionId: string): boolean;
  /** The project's voice session (created when it has none). */
  voiceSessionId(): string;
  /** Stores and broadcasts a message. */
  post(sessionId: string, message: NewMessage): Promise<ChatMessage | null>;
  /** What a tech-lead reply to `payer` in `sessionId` needs (tools only when `withTools`). */
  leadContext(sessionId: string, payer: { id: string; name: string }, withTools: boolean): LeadReplyContext;
}

/** The project's voice turns in flight. */
export class VoiceTurns {
  private readonly host: VoiceTurnHost;
  /** Turns running or queued, by the voice actor's turn id: how `abort` interrupts one. */
  private readonly running = new Map<string, AbortController>();

  constructor(host: VoiceTurnHost) {
    this.host = host;
  }

  /**
   * Starts a voice turn (see `ProjectAgent.voiceTurn`). Returns at once the reply as a byte
   * stream of voice-turn events: `session`, then `text` and `tool` as they come, then `done` or
   * `error` (an unknown session: `error` `not_found` alone). Cancelling the stream interrupts it.
   * @throws ZodError when `request` is not a VoiceTurnRequest.
   */
  async start(request: VoiceTurnRequest): Promise<ReadableStream<Uint8Array>> {
    const turn = voiceTurnRequestSchema.parse(request);
    const controller = new AbortController();
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    // A reader that went away (the call ended) interrupts the turn.
    const emit = (event: VoiceTurnEvent) => void writer.write(encodeVoiceTurnEvent(event)).catch(() => controller.abort());
    const sessionId = turn.sessionId ?? this.host.voiceSessionId();
    if (!this.host.hasSession(sessionId)) {
      emit({ type: "error", code: "not_found", message: `no session ${sessionId} in this project` });
      void writer.close().catch(() => {});
      return readable;
    }
    this.running.set(turn.turnId, controller);
    emit({ type: "session", sessionId });
    await this.host.post(sessionId, { role: "user", author: { id: turn.speaker.id, name: turn.speaker.name, kind: "user" }, text: turn.text });
    this.host.leadTurns.enqueue(sessionId, async () => {
      try {
        const outcome = await replyInSession(this.host.leadContext(sessionId, turn.payer, turn.leadTools), sessionId, turn.payer, turn.text, {
          source: "voice",
          signal: controller.signal,
          onDelta: (text) => emit({ type: "text", text }),
          onToolCall: (toolName) => emit({ type: "tool", toolName }),
        });
        emit(outcome.ok ? { type: "done", interrupted: outcome.interrupted } : { type: "error", code: outcome.code, message: outcome.message });
      } finally {
        if (this.running.get(turn.turnId) === controller) this.running.delete(turn.turnId);
        await writer.close().catch(() => {});
      }
    });
    return readable;
  }

  /** Interrupts turn `turnId` (a barge-in). Returns whether it was running or queued here. */
  abort(turnId: string): boolean {
    const controller = this.running.get(turnId);
    controller?.abort();
    return controller !== undefined;
  }
}
