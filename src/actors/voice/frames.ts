/**
 * What the voice socket decides about a client's frame before the Agents SDK's voice pipeline
 * sees it (pure): binary frames are audio (PCM16 mono 16 kHz, so an even number of bytes, at
 * most MAX_AUDIO_FRAME_BYTES), text frames are the SDK protocol's JSON control frames, parsed
 * with zod; anything else is answered with an `error` frame (the SDK's shape, `{type: "error",
 * message}`, plus SAM's `code`) and dropped, and the connection stays open. Each connection's
 * frames and audio bytes are also counted against VOICE_RATE_LIMIT.
 */
import { z } from "zod";
import { MAX_MESSAGE_CHARS } from "../../shared/protocol.ts";

/** Largest binary frame: 64 KiB, two seconds of PCM16 mono 16 kHz (the SDK's browser client sends 100 ms, 3,200 bytes). */
export const MAX_AUDIO_FRAME_BYTES = 64 * 1024;

/**
 * How much one connection may send per window: 1,000 frames and 640,000 bytes of audio per 10 s.
 * A browser sends 10 audio frames a second (100 ms each) plus a few control frames, and audio in
 * real time is 32,000 bytes a second; the limits leave room for 10 ms frames and for a client
 * that sends a recording twice as fast as it plays, and cut a flood.
 */
export const VOICE_RATE_LIMIT = { maxFrames: 1_000, maxAudioBytes: 640_000, windowMs: 10_000 } as const;

/** The codes of SAM's `error` frames on the voice socket (besides the SDK's own, which carry a message only or `stt_*` codes). */
export type VoiceErrorCode =
  | "invalid_json"
  | "invalid_frame"
  | "rate_limited"
  | "forbidden"
  | "unauthenticated"
  | "budget_exceeded"
  | "credential_missing"
  | "payer_mode_conflict"
  | "voice_unavailable"
  | "speech_failed";

/** The Agents SDK's voice control frames (client → server) SAM accepts; unknown fields are ignored. */
export const voiceClientFrameSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), protocol_version: z.number().int().nonnegative().optional() }),
  z.object({ type: z.literal("start_call"), preferred_format: z.enum(["mp3", "pcm16", "wav", "opus"]).optional() }),
  z.object({ type: z.literal("end_call") }),
  z.object({ type: z.literal("start_of_speech") }),
  z.object({ type: z.literal("end_of_speech") }),
  z.object({ type: z.literal("interrupt") }),
  z.object({ type: z.literal("text_message"), text: z.string().trim().min(1, "text_message needs some text").max(MAX_MESSAGE_CHARS) }),
]);
/** A voice control frame; see {@link voiceClientFrameSchema}. */
export type VoiceClientFrame = z.infer<typeof voiceClientFrameSchema>;

/** What to do with a message on the voice socket: pass `audio` or a valid control `frame` to the SDK, or answer with an `error`. */
export type VoiceFrameDecision = { kind: "audio"; bytes: number } | { kind: "frame"; frame: VoiceClientFrame } | { kind: "error"; code: VoiceErrorCode; message: string };

/**
 * Decides what a raw WebSocket message is: binary of an even length up to MAX_AUDIO_FRAME_BYTES
 * is audio (empty, odd or larger is `invalid_frame`); text that is not JSON is `invalid_json`;
 * JSON that fails `voiceClientFrameSchema` is `invalid_frame` (with zod's account of why; an
 * unknown `type`, the Agents SDK's `rpc` and `cf_agent_*` frames included); anything else is the frame.
 */
export function parseVoiceFrame(raw: string | ArrayBuffer | ArrayBufferView): VoiceFrameDecision {
  if (typeof raw !== "string") {
    const bytes = raw.byteLength;
    if (bytes === 0 || bytes % 2 !== 0) return { kind: "error", code: "invalid_frame", message: "audio frames are PCM16 (2 bytes a sample): an even number of bytes, not 0" };
    if (bytes > MAX_AUDIO_FRAME_BYTES) return { kind: "error", code: "invalid_frame", message: `audio frames are at most ${MAX_AUDIO_FRAME_BYTES} bytes (2 s of 16 kHz PCM16); this one has ${bytes}` };
    return { kind: "audio", bytes };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { kind: "error", code: "invalid_json", message: "the frame is not valid JSON" };
  }
  const frame = voiceClientFrameSchema.safeParse(json);
  if (!frame.success) return { kind: "error", code: "invalid_frame", message: z.prettifyError(frame.error) };
  return { kind: "frame", frame: frame.data };
}

/** A connection's frames and audio bytes in its current window. */
export interface VoiceWindow {
  startedAtMs: number;
  frames: number;
  audioBytes: number;
}

/**
 * Counts a frame of `audioBytes` bytes of audio (0 for a control frame) arriving at `nowMs` on a
 * connection whose window so far is `window`, in fixed windows of `limit.windowMs` (a clock
 * that went back starts a new one). Returns the window after it and whether the frame is
 * allowed (within both limits); a refused frame still counts.
 */
export function countVoiceFrame(window: VoiceWindow | undefined, audioBytes: number, nowMs: number, limit: { maxFrames: number; maxAudioBytes: number; windowMs: number } = VOICE_RATE_LIMIT): { window: VoiceWindow; allowed: boolean } {
  const fresh = !window || nowMs - window.startedAtMs >= limit.windowMs || nowMs < window.startedAtMs;
  const next = fresh ? { startedAtMs: nowMs, frames: 1, audioBytes } : { startedAtMs: window.startedAtMs, frames: window.frames + 1, audioBytes: window.audioBytes + audioBytes };
  return { window: next, allowed: next.frames <= limit.maxFrames && next.audioBytes <= limit.maxAudioBytes };
}

/** The `error` frame of `code` with `message`, as JSON text (the SDK's shape plus SAM's code). */
export function voiceErrorFrame(code: VoiceErrorCode, message: string): string {
  return JSON.stringify({ type: "error", code, message });
}
