/**
 * Pure rules of the voice conversation with the tech lead (no SDK, no DOM): where its socket
 * is, what a close of that socket means, what to tell people when voice is unavailable or the
 * microphone refused, the status shown, and the audio each of the tech lead's replies came with.
 * The hook (src/ui/lib/useTechLeadVoice.ts) applies them; test/node/voice-ui-call.test.ts checks them.
 */
import { z } from "zod";

/** The voice actor's class (`TechLeadVoice`, keyed by project id), as the Agents SDK's client names it. */
export const VOICE_AGENT_CLASS = "TechLeadVoice";

/** The voice actor's path segment: the SDK's kebab-case of VOICE_AGENT_CLASS (`/agents/tech-lead-voice/<projectId>`). */
export const VOICE_AGENT_PATH = "tech-lead-voice";

/** The close code the server uses when one's access changed (as the project socket's; src/actors/project/socket.ts). */
export const VOICE_ACCESS_CHANGED_CLOSE_CODE = 4003;

/** The close code the server uses for a connection without a signed-in person (src/actors/project/socket.ts). */
export const VOICE_UNAUTHENTICATED_CLOSE_CODE = 4001;

/** How many times a voice socket that had opened is reopened after it drops, before the call is given up. */
export const MAX_VOICE_RECONNECTS = 5;

/** How long the tech lead may take to accept a call (its `listening` status) before voice is called unavailable, in ms. */
export const CALL_START_TIMEOUT_MS = 20_000;

/** The voice socket's URL for the page at `location` (same origin: the sign-in cookie authenticates the upgrade). */
export function voiceSocketUrl(location: { protocol: string; host: string }, projectId: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/agents/${VOICE_AGENT_PATH}/${encodeURIComponent(projectId)}`;
}

/** What to do after the voice socket closed without being asked to. */
export type CloseDecision =
  /** Reopen it after `delayMs` (a dropped connection; the SDK's client starts the call again). */
  | { action: "retry"; delayMs: number }
  /** The server never accepted it: voice is unavailable here (refused upgrade, no actor, no network). */
  | { action: "refused" }
  /** One's access changed (removed, now a viewer, signed out): never reopen. */
  | { action: "access-changed" }
  /** The server found no signed-in person on it: never reopen. */
  | { action: "signed-out" }
  /** It dropped MAX_VOICE_RECONNECTS times in a row: give up. */
  | { action: "gave-up" }
  /** The server ended it on purpose (1000, or another of its 4xxx codes): the call is over. */
  | { action: "ended"; code: number; reason: string };

/**
 * What a close of the voice socket means: `code` the close code (1006 when the connection failed
 * or the upgrade was refused: browsers hide the HTTP status), `everOpened` whether this call's
 * socket was ever open, `reconnects` how many reopenings have failed since it last was.
 * Backoff: 500 ms doubled per attempt, at most 8 s.
 */
export function closeDecision(code: number, reason: string, everOpened: boolean, reconnects: number): CloseDecision {
  if (code === VOICE_ACCESS_CHANGED_CLOSE_CODE) return { action: "access-changed" };
  if (code === VOICE_UNAUTHENTICATED_CLOSE_CODE) return { action: "signed-out" };
  if (!everOpened) return { action: "refused" };
  if (code === 1000 || (code >= 4000 && code < 5000)) return { action: "ended", code, reason };
  if (reconnects >= MAX_VOICE_RECONNECTS) return { action: "gave-up" };
  return { action: "retry", delayMs: Math.min(500 * 2 ** reconnects, 8_000) };
}

const apiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * Why voice is unavailable after the server refused the voice socket's upgrade, in one sentence.
 * Browsers hide a refused upgrade's HTTP status, so the page asks `GET /api/me` (same cookie)
 * and passes its `status` and body (or null when even that failed): signed out (401) or an
 * account that may not act (its `{"error":{"code","message"}}` message) explain it; when the
 * sign-in is fine, the server simply did not accept the connection.
 */
export function unavailableMessage(status: number | null, body: string | null): string {
  const prefix = "Voice is unavailable";
  if (status === 401) return `${prefix}: you are signed out. Sign in again to talk.`;
  if (status !== null && status >= 400 && body) {
    try {
      const parsed = apiErrorSchema.safeParse(JSON.parse(body));
      if (parsed.success) return `${prefix}: ${parsed.data.error.message}`;
    } catch {
      // not JSON: the generic sentence
    }
  }
  return `${prefix}: the server did not accept the voice connection.`;
}

/** The sentence shown when the tech lead did not accept a call within CALL_START_TIMEOUT_MS. */
export const START_TIMEOUT_MESSAGE = "Voice is unavailable: the tech lead did not answer the call. Try again later.";

/** Why the microphone could not be used: refused by the person (or the browser), no device, no API (an insecure page), or another failure. */
export type MicrophoneProblem = "denied" | "missing" | "unsupported" | "failed";

/** The microphone could not be opened; `problem` says why, `message` says it to a person. */
export class MicrophoneError extends Error {
  readonly problem: MicrophoneProblem;
  /** A `problem` with its sentence for people. */
  constructor(problem: MicrophoneProblem, message: string) {
    super(message);
    this.name = "MicrophoneError";
    this.problem = problem;
  }
}

/** The MicrophoneError of a `getUserMedia` or worklet failure (by the `DOMException` names of the Media Capture spec). */
export function microphoneError(error: unknown): MicrophoneError {
  if (error instanceof MicrophoneError) return error;
  const name = typeof error === "object" && error !== null && "name" in error && typeof error.name === "string" ? error.name : "";
  const detail = typeof error === "object" && error !== null && "message" in error && typeof error.message === "string" ? error.message : String(error);
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return new MicrophoneError("denied", "Microphone access was refused. Allow the microphone for this site, then press Talk again.");
  }
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
    return new MicrophoneError("missing", "No microphone was found. Connect one, then press Talk again.");
  }
  if (name === "NotReadableError") return new MicrophoneError("failed", `The microphone is busy or failed: ${detail}`);
  return new MicrophoneError("failed", `Could not use the microphone: ${detail}`);
}

/** The tech lead's side of a call, as the voice protocol's `status` frames say it. */
export type ServerVoiceStatus = "idle" | "listening" | "thinking" | "speaking";

/**
 * Where a call is, as the page sees it: `idle` (none yet), `connecting` (opening the socket),
 * `starting` (microphone permission asked, waiting for the tech lead to accept), `live`,
 * `ended`, `unavailable` (the server refused or could not start voice) or `failed` (the
 * microphone, the connection or one's access failed it).
 */
export type VoicePhase = "idle" | "connecting" | "starting" | "live" | "ended" | "unavailable" | "failed";

/** The word shown for the call: the phase, or while live what the tech lead does (`speaking` while its reply still plays here). */
export function displayStatus(phase: VoicePhase, status: ServerVoiceStatus, playing: boolean): string {
  if (phase !== "live") return phase;
  if (playing) return "speaking";
  return status === "idle" ? "listening" : status;
}

/** One line of the call's transcript, as the SDK's client keeps it (`TranscriptMessage`). */
export type VoiceLine = { role: "user" | "assistant"; text: string; timestamp: number };

/** What one reply's audio came to: frames and bytes received, seconds decoded, and until when (ms, the page's clock) it plays. */
export type ReplyAudio = { frames: number; bytes: number; seconds: number; playingUntil: number; interrupted: boolean };

/** The audio of each reply, by `lineKey` of its transcript line. */
export type ReplyAudioLog = Readonly<Record<string, ReplyAudio>>;

/** A transcript line's key: its role and the time it began (stable while its text grows). */
export function lineKey(line: Pick<VoiceLine, "role" | "timestamp">): string {
  return `${line.role}-${line.timestamp}`;
}

/** The key of the tech lead's latest reply in `lines` (the one audio now arriving belongs to), or null. */
export function latestReplyKey(lines: readonly VoiceLine[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i].role === "assistant") return lineKey(lines[i]);
  return null;
}

const noAudio: ReplyAudio = { frames: 0, bytes: 0, seconds: 0, playingUntil: 0, interrupted: false };

/** `log` with one frame of `bytes` bytes received for reply `key`. */
export function recordFrame(log: ReplyAudioLog, key: string, bytes: number): ReplyAudioLog {
  const current = log[key] ?? noAudio;
  return { ...log, [key]: { ...current, frames: current.frames + 1, bytes: current.bytes + bytes } };
}

/**
 * `log` with `seconds` of reply `key`'s audio decoded at `now` (ms): queued after what still plays,
 * as the SDK's client schedules playback (each buffer starts when the previous one ends). An
 * interrupted reply's later audio is counted but not played on.
 */
export function recordSeconds(log: ReplyAudioLog, key: string, seconds: number, now: number): ReplyAudioLog {
  const current = log[key] ?? noAudio;
  const playingUntil = current.interrupted ? current.playingUntil : Math.max(now, current.playingUntil) + seconds * 1000;
  return { ...log, [key]: { ...current, seconds: current.seconds + seconds, playingUntil } };
}

/** `log` with reply `key` stopped at `now` (ms) — when it was still playing or had no audio yet; a reply already heard to its end stays as it was. */
export function recordInterrupt(log: ReplyAudioLog, key: string, now: number): ReplyAudioLog {
  const current = log[key];
  if (current && current.frames > 0 && current.playingUntil <= now) return log;
  const base = current ?? noAudio;
  return { ...log, [key]: { ...base, interrupted: true, playingUntil: Math.min(base.playingUntil, now) } };
}

/** Whether any reply in `log` still plays at `now` (ms). */
export function isPlaying(log: ReplyAudioLog, now: number): boolean {
  return Object.values(log).some((a) => !a.interrupted && a.playingUntil > now);
}

/** The state of a reply's audio shown beside its text. */
export type ReplyAudioState = "none" | "playing" | "played" | "interrupted";

/** A line of the conversation as the panel shows it; `audio` only for the tech lead's replies. */
export type VoiceItem = {
  key: string;
  role: "user" | "assistant";
  text: string;
  audio: (ReplyAudio & { state: ReplyAudioState }) | null;
};

/** The transcript `lines` with each reply's audio from `log`, at `now` (ms). */
export function voiceItems(lines: readonly VoiceLine[], log: ReplyAudioLog, now: number): VoiceItem[] {
  return lines.map((line) => {
    const key = lineKey(line);
    if (line.role !== "assistant") return { key, role: line.role, text: line.text, audio: null };
    const audio = log[key] ?? noAudio;
    const state: ReplyAudioState = audio.interrupted ? "interrupted" : audio.playingUntil > now ? "playing" : audio.frames > 0 ? "played" : "none";
    return { key, role: line.role, text: line.text, audio: { ...audio, state } };
  });
}

/** A duration in seconds as people read it: `0.4 s`, `12 s`, `1:05`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** The id of the newest session of kind `voice` in `sessions` (where voice turns are kept), or null. */
export function latestVoiceSessionId(sessions: readonly { id: string; kind: string; createdAt: string }[] | undefined): string | null {
  let latest: { id: string; createdAt: string } | null = null;
  for (const session of sessions ?? []) {
    if (session.kind === "voice" && (!latest || session.createdAt >= latest.createdAt)) latest = session;
  }
  return latest?.id ?? null;
}
