/**
 * SAM's speech providers for any OpenAI-compatible speech server (OpenAI, LocalAI, speaches,
 * whisper.cpp's server, SAM's own local service started by `npm start`): a continuous
 * `Transcriber` and a `TTSProvider` of the Agents SDK's voice pipeline.
 *
 * - Speech-to-text: `POST <base>/audio/transcriptions`, multipart (`file` a WAV of PCM16 mono 16
 *   kHz, `model`, `response_format` `json`, optional `prompt`), answering `{"text": "..."}`. Such
 *   servers recognise whole files and detect no turns, so the session finds each utterance
 *   itself (utterance.ts: energy, and END_SILENCE_MS of silence; IDLE_FLUSH_MS of wall clock
 *   without audio ends one too) and posts it; utterances are recognised one at a time, in order.
 * - Text-to-speech: `POST <base>/audio/speech`, JSON `{model, input, voice, response_format:
 *   "wav"}`, answering the WAV (repaired to exact lengths, wav.ts), so every audio frame the
 *   client receives is one whole WAV file (the actor's `audioFormat` is `wav`).
 *
 * `<base>` is `SAM_SPEECH_BASE_URL` as `speechApiBase` reads it; `SAM_SPEECH_API_KEY`, when set,
 * is sent as `Authorization: Bearer`.
 */
import { z } from "zod";
import type { SpeechMeter } from "./meter.ts";
import { END_SILENCE_MS, UtteranceDetector, type UtteranceEvent, type UtteranceOptions } from "./utterance.ts";
import type { Transcriber, TranscriberSession, TranscriberSessionOptions, TTSProvider } from "./voice-sdk.ts";
import { encodeWav, normalizeWav, pcmSeconds, PCM_SAMPLE_RATE, WavFormatError } from "./wav.ts";

/**
 * Wall-clock time (ms) after the last audio chunk at which a running utterance is ended even
 * though no silence arrived: a client that stops sending (muted, or its microphone stopped) would
 * otherwise leave it open. The same 700 ms as END_SILENCE_MS.
 */
export const IDLE_FLUSH_MS = END_SILENCE_MS;
/** Longest wait (ms) for one recognition or one synthesis: 30 s. */
export const SPEECH_REQUEST_TIMEOUT_MS = 30_000;
/** Most characters of vocabulary sent as a recognition's `prompt` (Whisper reads at most 224 tokens of it; about 4 characters a token). */
export const MAX_PROMPT_CHARS = 800;

/** Where and how to reach the speech server. */
export interface OpenAISpeechConfig {
  /** The API's base (ending in `/v1` for most servers), e.g. `http://127.0.0.1:8790/v1`; see `speechApiBase`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer` when set. */
  apiKey?: string;
  /** The `model` of transcriptions (`whisper-1` for OpenAI). */
  transcriptionModel: string;
  /** The `model` of speech (`tts-1` for OpenAI). */
  speechModel: string;
  /** The `voice` of speech (`alloy` for OpenAI). */
  voice: string;
  /** The fetch to use (tests); default the global one. */
  fetch?: typeof fetch;
}

/**
 * The API base of `SAM_SPEECH_BASE_URL`: the URL without a trailing slash, with `/v1` added
 * when it has no path at all (`http://127.0.0.1:8790` → `http://127.0.0.1:8790/v1`); a URL with
 * a path is used as it is (`https://api.openai.com/v1`, `https://host/openai/v1`).
 * @throws TypeError when it is not an http(s) URL.
 */
export function speechApiBase(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`SAM_SPEECH_BASE_URL must be an http(s) URL, not ${url.protocol}`);
  const path = url.pathname.replace(/\/+$/, "");
  return `${url.origin}${path === "" ? "/v1" : path}`;
}

/** A speech server's answer that SAM cannot use (an HTTP error, or a body of the wrong shape). */
export class SpeechServerError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super(message);
    this.name = "SpeechServerError";
    this.status = status;
  }
}

const transcriptionSchema = z.object({ text: z.string() });

/** What a transcriber session reports besides the SDK's callbacks, and what it may ask. */
export interface TranscriberHooks {
  /** Pays for each utterance before it is posted; absent: nothing is metered. */
  meter?: SpeechMeter;
  /** The vocabulary to send as `prompt` (task titles, mission goals), read per utterance; cut to MAX_PROMPT_CHARS. */
  prompt?: () => string | undefined;
  /** Told when one recognition failed (the session goes on). */
  onError?: (error: Error) => void;
  /** Overrides the detector's thresholds (tests). */
  detector?: Partial<UtteranceOptions>;
}

function authHeaders(config: OpenAISpeechConfig): Record<string, string> {
  return config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {};
}

/** A server error's message with its body's first 200 characters, the API key (if echoed) redacted. */
async function serverError(config: OpenAISpeechConfig, route: string, response: Response): Promise<SpeechServerError> {
  let body = (await response.text().catch(() => "")).slice(0, 200);
  if (config.apiKey) body = body.split(config.apiKey).join("[redacted]");
  return new SpeechServerError(`the speech server answered ${response.status} to ${route}${body ? `: ${body}` : ""}`, response.status);
}

/**
 * Recognises one WAV of PCM16 mono 16 kHz (`pcm`, wrapped here) with the server's
 * transcription model. Returns the text (trimmed).
 * @throws SpeechServerError on an HTTP error or a body without `text`; the fetch's error when
 *   the server cannot be reached or `signal` aborts.
 */
export async function transcribeWav(config: OpenAISpeechConfig, pcm: Uint8Array, prompt: string | undefined, signal?: AbortSignal): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([encodeWav(pcm)], { type: "audio/wav" }), "utterance.wav");
  form.append("model", config.transcriptionModel);
  form.append("response_format", "json");
  const vocabulary = prompt?.trim().slice(0, MAX_PROMPT_CHARS);
  if (vocabulary) form.append("prompt", vocabulary);
  const route = "/audio/transcriptions";
  const response = await (config.fetch ?? fetch)(`${config.baseUrl}${route}`, { method: "POST", headers: authHeaders(config), body: form, signal });
  if (!response.ok) throw await serverError(config, route, response);
  const parsed = transcriptionSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) throw new SpeechServerError(`the speech server's answer to ${route} has no "text"`);
  return parsed.data.text.trim();
}

/** The OpenAI-compatible continuous transcriber: one session per call. */
export class OpenAICompatibleTranscriber implements Transcriber {
  private readonly config: OpenAISpeechConfig;
  private readonly hooks: TranscriberHooks;

  /** `config`: the server; `hooks`: metering, vocabulary and error reports. */
  constructor(config: OpenAISpeechConfig, hooks: TranscriberHooks = {}) {
    this.config = config;
    this.hooks = hooks;
  }

  /** A session for one call: feed it the call's audio; it calls `onSpeechStart` and `onUtterance`. */
  createSession(options?: TranscriberSessionOptions): TranscriberSession {
    return new OpenAICompatibleSession(this.config, this.hooks, options ?? {});
  }
}

/** One call's recognition: the detector, the idle timer and the queue of utterances to post. */
class OpenAICompatibleSession implements TranscriberSession {
  private readonly detector: UtteranceDetector;
  private readonly aborter = new AbortController();
  private queue: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly config: OpenAISpeechConfig;
  private readonly hooks: TranscriberHooks;
  private readonly options: TranscriberSessionOptions;

  constructor(config: OpenAISpeechConfig, hooks: TranscriberHooks, options: TranscriberSessionOptions) {
    this.config = config;
    this.hooks = hooks;
    this.options = options;
    this.detector = new UtteranceDetector(hooks.detector);
  }

  feed(chunk: ArrayBuffer): void {
    if (this.closed) return;
    for (const event of this.detector.push(new Uint8Array(chunk))) this.handle(event);
    this.armTimer();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.aborter.abort(new Error("the call ended"));
  }

  /** (Re)starts the idle timer while an utterance runs: no audio for IDLE_FLUSH_MS ends it. */
  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.detector.speaking) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      for (const event of this.detector.flush()) this.handle(event);
    }, IDLE_FLUSH_MS);
  }

  private handle(event: UtteranceEvent): void {
    if (event.type === "speech-start") {
      this.options.onSpeechStart?.();
      return;
    }
    const pcm = event.pcm;
    this.queue = this.queue
      .then(() => this.recognise(pcm))
      .catch((error: unknown) => console.error(`voice: recognising an utterance failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  /** Pays for, posts and reports one utterance. */
  private async recognise(pcm: Uint8Array): Promise<void> {
    if (this.closed) return;
    const seconds = pcmSeconds(pcm.byteLength, PCM_SAMPLE_RATE);
    const charge = this.hooks.meter ? await this.hooks.meter.begin("transcription", seconds) : null;
    if (this.hooks.meter && !charge) return;
    if (this.closed) {
      await charge?.release();
      return;
    }
    const started = Date.now();
    let text: string;
    try {
      const signal = AbortSignal.any([this.aborter.signal, AbortSignal.timeout(SPEECH_REQUEST_TIMEOUT_MS)]);
      text = await transcribeWav(this.config, pcm, this.hooks.prompt?.(), signal);
    } catch (error) {
      await charge?.settle({ status: this.closed ? "aborted" : error instanceof SpeechServerError ? "upstream_error" : "failed", latencyMs: Date.now() - started });
      if (!this.closed) this.hooks.onError?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    await charge?.settle({ status: "ok", latencyMs: Date.now() - started });
    if (!this.closed && text) this.options.onUtterance?.(text);
  }
}

/** The OpenAI-compatible text-to-speech provider: one request per sentence, WAV back. */
export class OpenAICompatibleTTS implements TTSProvider {
  private readonly config: OpenAISpeechConfig;

  /** `config`: the server, its speech model and voice. */
  constructor(config: OpenAISpeechConfig) {
    this.config = config;
  }

  /**
   * Speaks `text`; returns one whole WAV file (raw PCM answered as `audio/pcm` is taken as PCM16
   * mono 16 kHz and wrapped).
   * @throws SpeechServerError on an HTTP error or audio that is not WAV; the fetch's error when
   *   the server cannot be reached, `signal` aborts or SPEECH_REQUEST_TIMEOUT_MS passes.
   */
  async synthesize(text: string, signal?: AbortSignal): Promise<ArrayBuffer | null> {
    const route = "/audio/speech";
    const timeout = AbortSignal.timeout(SPEECH_REQUEST_TIMEOUT_MS);
    const response = await (this.config.fetch ?? fetch)(`${this.config.baseUrl}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...authHeaders(this.config) },
      body: JSON.stringify({ model: this.config.speechModel, input: text, voice: this.config.voice, response_format: "wav" }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (!response.ok) throw await serverError(this.config, route, response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const type = response.headers.get("content-type") ?? "";
    let wav: Uint8Array;
    try {
      wav = /pcm|l16/i.test(type) ? encodeWav(bytes) : normalizeWav(bytes);
    } catch (error) {
      if (error instanceof WavFormatError) throw new SpeechServerError(`the speech server's answer to ${route} is not WAV audio (${error.message})`);
      throw error;
    }
    return wav.buffer.slice(wav.byteOffset, wav.byteOffset + wav.byteLength) as ArrayBuffer;
  }
}
