/**
 * A voice turn between the voice actor (`TechLeadVoice`) and the project actor
 * (`ProjectAgent.voiceTurn`): what the voice actor asks (who spoke, who pays, the words) and
 * what comes back, as a byte stream of newline-delimited JSON events (DO RPC carries byte
 * streams): the reply's text as it streams, each tool call as it is made, and the end (done,
 * perhaps interrupted, or an error with its code and message). Pure (zod only).
 */
import { z } from "zod";
import { MAX_MESSAGE_CHARS } from "../../shared/protocol.ts";

/** A person as a voice turn names them. */
const personSchema = z.object({ id: z.string().min(1).max(200), name: z.string().min(1).max(200) });

/** What `ProjectAgent.voiceTurn` takes. */
export const voiceTurnRequestSchema = z.object({
  /** The voice actor's id of this turn (`abortVoiceTurn` names it). */
  turnId: z.string().min(1).max(100),
  /** Who spoke: the author of the words in the chat. */
  speaker: personSchema,
  /** Who pays for the turn (the speaker; an embed's visitor: who minted the token). */
  payer: personSchema,
  /** Whether the tech lead may use its tools (an embed's visitor gets words only, as in text chat). */
  leadTools: z.boolean(),
  /** The session the turn goes to: an embed bound to one session gives it; null: the project's voice session. */
  sessionId: z.string().min(1).max(100).nullable(),
  /** What was said (the transcript, or a `text_message`). */
  text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
});
/** A voice turn's request; see {@link voiceTurnRequestSchema}. */
export type VoiceTurnRequest = z.infer<typeof voiceTurnRequestSchema>;

/**
 * One event of a voice turn's stream: `session` (first: where the turn is stored), `text` (a
 * piece of the reply), `tool` (the tech lead called a tool: what was said so far can be spoken),
 * `done` (the reply ended; `interrupted` when it was cut short) or `error` (no reply: `code`
 * and the `message` posted in the chat; e.g. `budget_exceeded`).
 */
export const voiceTurnEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("session"), sessionId: z.string() }),
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("tool"), toolName: z.string() }),
  z.object({ type: z.literal("done"), interrupted: z.boolean() }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
]);
/** One event of a voice turn's stream; see {@link voiceTurnEventSchema}. */
export type VoiceTurnEvent = z.infer<typeof voiceTurnEventSchema>;

const encoder = new TextEncoder();

/** `event` as one line of the stream (its JSON and a newline, UTF-8). */
export function encodeVoiceTurnEvent(event: VoiceTurnEvent): Uint8Array {
  return encoder.encode(`${JSON.stringify(event)}\n`);
}

/** A line of the stream that is not a voice turn event. */
export class VoiceTurnStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VoiceTurnStreamError";
  }
}

/**
 * The events of a voice turn's stream, in order, each parsed with `voiceTurnEventSchema`; ends
 * when the stream ends (blank lines are skipped).
 * @throws VoiceTurnStreamError for a line that is not an event.
 */
export async function* decodeVoiceTurnEvents(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<VoiceTurnEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  const parse = (line: string): VoiceTurnEvent => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new VoiceTurnStreamError(`a voice turn's stream carried a line that is not JSON: ${line.slice(0, 100)}`);
    }
    const event = voiceTurnEventSchema.safeParse(json);
    if (!event.success) throw new VoiceTurnStreamError(`a voice turn's stream carried an unknown event: ${z.prettifyError(event.error)}`);
    return event.data;
  };
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield parse(line);
      newline = buffer.indexOf("\n");
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) yield parse(buffer.trim());
}
