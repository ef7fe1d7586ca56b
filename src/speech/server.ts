/**
 * SAM's local speech service: an HTTP server on loopback that speaks the OpenAI speech API, as
 * OpenAI, LocalAI, speaches and whisper.cpp's server do, so that SAM's voice tech lead talks to
 * it exactly as to any of those (`SAM_SPEECH_BASE_URL` = this service's `/v1`). `npm start`
 * starts it with the stack (scripts/start.ts); `node src/speech/main.ts` runs it alone.
 *
 * Routes (bodies and errors as OpenAI's; platform.openai.com/docs/api-reference/audio):
 * - `POST /v1/audio/transcriptions`, multipart: `file` (WAV — PCM16 mono 16 kHz is read as it is,
 *   any other rate, channel count or sample format is converted —, FLAC or Ogg Vorbis; at most
 *   {@link MAX_UPLOAD_BYTES}), `model` (any name; `pocketsphinx-generic` is Debian's stock
 *   model, every other name the adapted one), `language` (English only), `prompt` (words and
 *   phrases to expect, added to the language model), `response_format` `json` (default:
 *   `{"text", "usage": {"type": "duration", "seconds"}}`) or `text`.
 * - `POST /v1/audio/speech`, JSON `{model, input, voice?, response_format?, speed?}`: the audio,
 *   16 kHz mono PCM16, as `wav` (default; OpenAI's default mp3 is not offered), `pcm` (raw,
 *   little-endian) or `flac`.
 * - `GET /v1/models`, `GET /v1/models/<id>`: `pocketsphinx` and `espeak-ng`.
 * - `GET /health`: `{"status": "ok", ...}`, without the API key.
 * With an API key, every `/v1/` request must carry `Authorization: Bearer <key>` (else 401).
 * Errors: `{"error": {"message", "type", "param", "code"}}` (errors.ts). Every request works in a
 * private temporary directory removed when it ends; programs run with argument arrays, a
 * wall-clock timeout and bounded output (process.ts); at most `concurrency` requests run at
 * once and `maxQueued` wait, more get 429.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { promises as fsp, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { SpeechApiError } from "./errors.ts";
import { Recogniser, transcribeAudio } from "./recogniser.ts";
import { espeakVoice, MAX_SPEECH_INPUT_CHARS, SPEECH_CONTENT_TYPES, synthesise } from "./synthesiser.ts";
import { DEFAULT_MODEL_DIR } from "./tools.ts";

/** Largest audio file accepted for transcription, in bytes (OpenAI's limit: 25 MB). */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** Largest multipart body: the file plus room for the other fields. */
const MAX_FORM_BYTES = MAX_UPLOAD_BYTES + 256 * 1024;
/** Largest JSON body of a speech request. */
const MAX_JSON_BYTES = 64 * 1024;
/** Most characters of a transcription's `prompt`. */
export const MAX_PROMPT_CHARS = 8000;

/** The models `GET /v1/models` lists. */
export const SPEECH_MODELS = [
  { id: "pocketsphinx", object: "model", created: 0, owned_by: "sam-local" },
  { id: "espeak-ng", object: "model", created: 0, owned_by: "sam-local" },
] as const;
/** The transcription model name that selects Debian's stock language model (for comparison). */
export const GENERIC_MODEL = "pocketsphinx-generic";

/** Options of {@link startSpeechService}. */
export interface SpeechServiceOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** When set, every `/v1/` request must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** pocketsphinx's model directory (default Debian's). */
  modelDir?: string;
  /** Where the service's private temporary directory is made (default the OS's). */
  tempRoot?: string;
  /** Wall-clock limit of one program run in ms (default 120,000). */
  timeoutMs?: number;
  /** Requests that run at once (default: the CPUs, at least 1). */
  concurrency?: number;
  /** Requests that may wait for a turn (default 32); more get 429. */
  maxQueued?: number;
  /** Where to report server-side failures (default console.error). */
  log?: (line: string) => void;
}

/** A started speech service. */
export interface RunningSpeechService {
  /** Base URL without a path, e.g. `http://127.0.0.1:8790` (the API is under `/v1`). */
  url: string;
  port: number;
  /** Words in the adapted model's base vocabulary. */
  vocabularySize: number;
  /** Stops listening, ends running programs, removes the temporary directory. */
  close(): Promise<void>;
}

const transcriptionFields = z.object({
  model: z.string().trim().min(1).max(200).optional(),
  language: z
    .string()
    .trim()
    .regex(/^en([-_][a-z]{2,4})?$/i, "only English (en) is recognised")
    .optional(),
  prompt: z.string().max(MAX_PROMPT_CHARS).optional(),
  response_format: z.enum(["json", "text"]).default("json"),
  temperature: z.coerce.number().min(0).max(1).optional(),
});

const speechBody = z.object({
  model: z.string().trim().min(1).max(200).optional(),
  input: z.string().max(MAX_SPEECH_INPUT_CHARS).refine((s) => s.trim() !== "", "input is empty"),
  voice: z.string().trim().min(1).max(64).default("alloy"),
  response_format: z.enum(["wav", "pcm", "flac"]).default("wav"),
  speed: z.number().min(0.25).max(4).default(1),
  instructions: z.string().max(4096).optional(),
  stream_format: z.literal("audio").optional(),
});

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

function sendError(res: http.ServerResponse, error: SpeechApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, error.status, error.body());
}

/** Reads the body up to `limit` bytes; over it, drains the rest and throws 413. */
async function readBody(req: http.IncomingMessage, limit: number, param: string | null): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size <= limit && declared <= limit) chunks.push(buf);
  }
  if (size > limit || declared > limit) throw new SpeechApiError(413, "file_too_large", `the request body is larger than ${limit} bytes (the audio file may be at most ${MAX_UPLOAD_BYTES} bytes)`, param);
  return Buffer.concat(chunks);
}

/** The first issue of a failed zod parse as an OpenAI error (its field as `param`). */
function invalid(error: z.ZodError, code = "invalid_value"): SpeechApiError {
  const issue = error.issues[0];
  const param = issue?.path.length ? issue.path.join(".") : null;
  return new SpeechApiError(400, code, `${param ?? "body"}: ${issue?.message ?? "invalid"}`, param);
}

/** A counting gate: at most `limit` holders at once, at most `maxQueued` waiting. */
class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly limit: number;
  private readonly maxQueued: number;
  /** `limit`: holders at once; `maxQueued`: waiters beyond them. */
  constructor(limit: number, maxQueued: number) {
    this.limit = limit;
    this.maxQueued = maxQueued;
  }
  /** Waits for a turn; throws 429 when the queue is full. Returns the release function. */
  async enter(): Promise<() => void> {
    if (this.running >= this.limit) {
      if (this.waiting.length >= this.maxQueued) throw new SpeechApiError(429, "too_many_requests", "the speech service is busy; try again shortly");
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}

/**
 * Starts the service: builds the adapted recogniser (about a second), then listens. Takes
 * {@link SpeechServiceOptions}; returns {@link RunningSpeechService}.
 * @throws Error when the model files cannot be read, espeak-ng cannot run, or listening fails.
 */
export async function startSpeechService(options: SpeechServiceOptions): Promise<RunningSpeechService> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? ((line: string) => console.error(line));
  const root = await fsp.mkdtemp(path.join(options.tempRoot ?? os.tmpdir(), "sam-speech-"));
  const requestsDir = path.join(root, "requests");
  await fsp.mkdir(requestsDir, { mode: 0o700 });
  // A process that exits without close() (process.exit elsewhere) still removes the directory.
  const removeOnExit = () => rmSync(root, { recursive: true, force: true });
  process.once("exit", removeOnExit);
  let recogniser: Recogniser;
  try {
    recogniser = await Recogniser.create({ modelDir: options.modelDir ?? DEFAULT_MODEL_DIR, workDir: path.join(root, "models"), timeoutMs: options.timeoutMs });
  } catch (error) {
    process.off("exit", removeOnExit);
    await fsp.rm(root, { recursive: true, force: true });
    throw error;
  }
  const keyHash = options.apiKey ? createHash("sha256").update(options.apiKey).digest() : null;
  const gate = new Gate(Math.max(1, options.concurrency ?? os.availableParallelism()), options.maxQueued ?? 32);
  const inFlight = new Set<AbortController>();

  const authorised = (req: http.IncomingMessage): boolean => {
    if (!keyHash) return true;
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
    if (!match) return false;
    return timingSafeEqual(createHash("sha256").update(match[1].trim()).digest(), keyHash);
  };

  /** Runs `work` with a turn of the gate, a private directory and an abort signal tied to the client's connection. */
  const withRequest = async <T>(res: http.ServerResponse, work: (dir: string, signal: AbortSignal) => Promise<T>): Promise<T> => {
    const release = await gate.enter();
    const aborter = new AbortController();
    inFlight.add(aborter);
    const onClose = () => {
      if (!res.writableFinished) aborter.abort();
    };
    res.once("close", onClose);
    let dir: string | undefined;
    try {
      dir = await fsp.mkdtemp(path.join(requestsDir, "r-"));
      return await work(dir, aborter.signal);
    } finally {
      res.off("close", onClose);
      inFlight.delete(aborter);
      release();
      if (dir) await fsp.rm(dir, { recursive: true, force: true });
    }
  };

  const transcriptions = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const type = req.headers["content-type"] ?? "";
    if (!/^multipart\/form-data/i.test(type)) {
      req.resume();
      throw new SpeechApiError(400, "invalid_content_type", "send the audio as multipart/form-data with a `file` field", "file");
    }
    const body = await readBody(req, MAX_FORM_BYTES, "file");
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), { headers: { "content-type": type } }).formData();
    } catch {
      throw new SpeechApiError(400, "invalid_multipart", "the multipart body cannot be read", null);
    }
    const file = form.get("file");
    if (file === null) throw new SpeechApiError(400, "missing_file", "the `file` field (the audio) is required", "file");
    if (typeof file === "string") throw new SpeechApiError(400, "invalid_file", "`file` must be a file upload, not a text field", "file");
    if (file.size > MAX_UPLOAD_BYTES) throw new SpeechApiError(413, "file_too_large", `the audio file is larger than ${MAX_UPLOAD_BYTES} bytes`, "file");
    if (file.size === 0) throw new SpeechApiError(400, "invalid_audio", "the audio file is empty", "file");
    const fields: Record<string, string> = {};
    for (const name of ["model", "language", "prompt", "response_format", "temperature"]) {
      const value = form.get(name);
      if (typeof value === "string") fields[name] = value;
    }
    const parsed = transcriptionFields.safeParse(fields);
    if (!parsed.success) {
      const param = parsed.error.issues[0]?.path.join(".");
      throw invalid(parsed.error, param === "language" ? "unsupported_language" : param === "response_format" ? "unsupported_response_format" : "invalid_value");
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const result = await withRequest(res, (dir, signal) =>
      transcribeAudio(recogniser, bytes, dir, { prompt: parsed.data.prompt, model: parsed.data.model === GENERIC_MODEL ? "generic" : "adapted", signal, timeoutMs: options.timeoutMs }),
    );
    if (parsed.data.response_format === "text") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(result.text) });
      res.end(result.text);
      return;
    }
    sendJson(res, 200, { text: result.text, usage: { type: "duration", seconds: Math.ceil(result.durationSeconds) } });
  };

  const speech = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const raw = await readBody(req, MAX_JSON_BYTES, "input");
    let json: unknown;
    try {
      json = JSON.parse(raw.toString("utf8"));
    } catch {
      throw new SpeechApiError(400, "invalid_json", "the body must be JSON: {model, input, voice, response_format?, speed?}", null);
    }
    const parsed = speechBody.safeParse(json);
    if (!parsed.success) {
      const param = parsed.error.issues[0]?.path.join(".");
      throw invalid(parsed.error, param === "response_format" ? "unsupported_response_format" : param === "input" ? "invalid_input" : "invalid_value");
    }
    const voice = espeakVoice(parsed.data.voice);
    if (!voice) throw new SpeechApiError(400, "invalid_voice", `unknown voice ${JSON.stringify(parsed.data.voice)}: use an OpenAI voice name (alloy, echo, nova, ...) or an espeak-ng voice (en-us, en-gb+f3)`, "voice");
    const format = parsed.data.response_format;
    const audio = await withRequest(res, (dir, signal) =>
      synthesise({ input: parsed.data.input, voice, speed: parsed.data.speed, format, dir, signal, timeoutMs: options.timeoutMs }),
    );
    res.writeHead(200, { "content-type": SPEECH_CONTENT_TYPES[format], "content-length": audio.length });
    res.end(audio);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = url.pathname.replace(/\/+$/, "") || "/";
    if (route === "/health" && req.method === "GET") {
      sendJson(res, 200, { status: "ok", transcription: "pocketsphinx", speech: "espeak-ng", vocabulary: recogniser.vocabularySize });
      return;
    }
    if (route.startsWith("/v1/") && !authorised(req)) {
      req.resume();
      throw new SpeechApiError(401, "invalid_api_key", "missing or incorrect API key: send Authorization: Bearer <SAM_SPEECH_API_KEY>");
    }
    const method = (allowed: string) => {
      if (req.method !== allowed) {
        req.resume();
        throw new SpeechApiError(405, "method_not_allowed", `${req.method} is not allowed on ${route}; use ${allowed}`);
      }
    };
    if (route === "/v1/audio/transcriptions") {
      method("POST");
      return transcriptions(req, res);
    }
    if (route === "/v1/audio/speech") {
      method("POST");
      return speech(req, res);
    }
    if (route === "/v1/models") {
      method("GET");
      return sendJson(res, 200, { object: "list", data: SPEECH_MODELS });
    }
    if (route.startsWith("/v1/models/")) {
      method("GET");
      const id = decodeURIComponent(route.slice("/v1/models/".length));
      const model = SPEECH_MODELS.find((m) => m.id === id);
      if (!model) throw new SpeechApiError(404, "model_not_found", `no model ${JSON.stringify(id)}`, "model");
      return sendJson(res, 200, model);
    }
    req.resume();
    throw new SpeechApiError(404, "not_found", `no route ${req.method} ${route}`);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof SpeechApiError) {
        if (error.status >= 500 && error.status !== 504) log(`speech: ${error.code}: ${error.message}`);
        sendError(res, error);
        return;
      }
      log(`speech: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(res, new SpeechApiError(500, "internal_error", "the speech service failed; see its log"));
    });
  });
  server.requestTimeout = 5 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    vocabularySize: recogniser.vocabularySize,
    close: async () => {
      for (const aborter of inFlight) aborter.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      process.off("exit", removeOnExit);
      await fsp.rm(root, { recursive: true, force: true });
    },
  };
}
