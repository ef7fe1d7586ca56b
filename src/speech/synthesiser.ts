/**
 * The local text-to-speech: espeak-ng speaks the text (read from stdin, never as an argument or
 * as SSML) into a 22,050 Hz WAV, which sox resamples to 16 kHz mono PCM16 — the Agents SDK's
 * voice pipeline's format — as a WAV, raw PCM or FLAC.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { SpeechApiError } from "./errors.ts";
import { runProcess } from "./process.ts";

/** The sample rate of every answer (Hz). */
export const SPEECH_SAMPLE_RATE = 16_000;
/** Most characters of one input (OpenAI's limit for `/v1/audio/speech`). */
export const MAX_SPEECH_INPUT_CHARS = 4096;
/** espeak-ng's speaking rate at `speed` 1, in words per minute (its default). */
export const BASE_WORDS_PER_MINUTE = 175;

/** Answer formats: `wav` (16 kHz mono PCM16 WAV), `pcm` (the same samples raw, little-endian), `flac`. */
export type SpeechFormat = "wav" | "pcm" | "flac";

/** The content type of each answer format. */
export const SPEECH_CONTENT_TYPES: Record<SpeechFormat, string> = { wav: "audio/wav", pcm: "audio/pcm", flac: "audio/flac" };

/**
 * OpenAI's voice names → espeak-ng voices (language, `+variant`). `alloy`, SAM's default, is the
 * Klatt-synthesised US voice, which the local recogniser also understands best
 * (evals/speech/README.md); `fable` and `ballad` are British as OpenAI's are.
 */
export const VOICES: Readonly<Record<string, string>> = {
  alloy: "en-us+klatt",
  ash: "en-us+m3",
  ballad: "en-gb-x-rp",
  coral: "en-us+f2",
  echo: "en-us",
  fable: "en-gb",
  nova: "en-us+f3",
  onyx: "en-us+m7",
  sage: "en-us+klatt2",
  shimmer: "en-us+f4",
  verse: "en-us+klatt4",
  marin: "en-us+f5",
  cedar: "en-us+m5",
};

/** An espeak-ng voice as given directly: a language tag with an optional `+variant` (`en-us`, `en-gb+f3`). */
const ESPEAK_VOICE = /^[a-z]{2,3}(?:-[a-z0-9]{1,8}){0,3}(?:\+[a-z0-9]{1,16})?$/i;

/**
 * The espeak-ng voice for a request's `voice`: an OpenAI name from {@link VOICES}, or an
 * espeak-ng voice name as it is. Returns it, or undefined when `voice` is neither.
 */
export function espeakVoice(voice: string): string | undefined {
  const known = VOICES[voice.toLowerCase()];
  if (known) return known;
  return ESPEAK_VOICE.test(voice) ? voice : undefined;
}

/** espeak-ng's words per minute for OpenAI's `speed` (0.25–4, 1 normal), within espeak-ng's 80–450. */
export function wordsPerMinute(speed: number): number {
  return Math.max(80, Math.min(450, Math.round(BASE_WORDS_PER_MINUTE * speed)));
}

/** One synthesis. */
export interface SynthesisRequest {
  /** The text (1–{@link MAX_SPEECH_INPUT_CHARS} characters). */
  input: string;
  /** The espeak-ng voice (see {@link espeakVoice}). */
  voice: string;
  /** OpenAI's speed, 0.25–4 (default 1). */
  speed?: number;
  format: SpeechFormat;
  /** A private per-request directory for the intermediate files (the caller removes it). */
  dir: string;
  /** Wall-clock limit of each program in ms (default 30,000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Speaks `input`. Returns the audio bytes in `format` at {@link SPEECH_SAMPLE_RATE} Hz, mono.
 * @throws SpeechApiError 400 `invalid_voice` when espeak-ng has no such voice, 504
 *   `synthesis_timeout`, 499 `cancelled`, 500 `synthesis_failed`.
 */
export async function synthesise(request: SynthesisRequest): Promise<Buffer> {
  const timeoutMs = request.timeoutMs ?? 30_000;
  const spoken = path.join(request.dir, "espeak.wav");
  const espeak = await runProcess({
    command: "espeak-ng",
    args: ["-v", request.voice, "-s", String(wordsPerMinute(request.speed ?? 1)), "-w", spoken, "--stdin"],
    input: request.input,
    timeoutMs,
    signal: request.signal,
  });
  check(espeak, "espeak-ng", timeoutMs);
  if (/voice does not exist/i.test(espeak.stderr)) throw new SpeechApiError(400, "invalid_voice", `espeak-ng has no voice ${JSON.stringify(request.voice)}`, "voice");
  if (espeak.code !== 0) throw new SpeechApiError(500, "synthesis_failed", `espeak-ng failed (exit ${espeak.code}): ${espeak.stderr.trim()}`);

  // Written to a file, not a pipe: sox can then put the real length in the WAV header.
  const output = path.join(request.dir, `speech.${request.format === "pcm" ? "raw" : request.format}`);
  const type = request.format === "pcm" ? ["-t", "raw", "-L"] : ["-t", request.format];
  const sox = await runProcess({
    command: "sox",
    // -G: guard against clipping in the resampler; -D: no dither (repeatable output).
    args: ["-q", "-G", "-D", spoken, "-r", String(SPEECH_SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer", ...type, output],
    timeoutMs,
    signal: request.signal,
  });
  check(sox, "sox", timeoutMs);
  if (sox.code !== 0) throw new SpeechApiError(500, "synthesis_failed", `sox failed (exit ${sox.code}): ${sox.stderr.trim()}`);
  return fsp.readFile(output);
}

function check(result: { aborted: boolean; timedOut: boolean }, what: string, timeoutMs: number): void {
  if (result.aborted) throw new SpeechApiError(499, "cancelled", "the request was cancelled");
  if (result.timedOut) throw new SpeechApiError(504, "synthesis_timeout", `${what} took longer than ${timeoutMs} ms`);
}
