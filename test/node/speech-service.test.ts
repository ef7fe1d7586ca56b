/**
 * The local speech service over real HTTP, with the real espeak-ng, sox and pocketsphinx
 * (Debian's `espeak-ng pocketsphinx pocketsphinx-en-us sox`, which `.ci/run` installs): the
 * official `openai` client speaks and transcribes through it, other audio formats are
 * converted, a prompt's words become recognisable, bad input gets OpenAI error objects, the API
 * key is enforced, the queue is bounded, and no temporary file outlives its request.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { int16Bytes, parseWav, pcm16Wav } from "../../src/speech/audio.ts";
import { MAX_UPLOAD_BYTES, startSpeechService, type RunningSpeechService } from "../../src/speech/server.ts";
import { detectSpeechTools, INSTALL_COMMAND } from "../../src/speech/tools.ts";
import { wordErrors } from "../../src/speech/wer.ts";

const KEY = "test-speech-key";
let service: RunningSpeechService;
let client: OpenAI;
let tempRoot: string;
let work: string;

/** The service's private directory (made under tempRoot). */
function serviceDir(): string {
  const dirs = readdirSync(tempRoot).filter((d) => d.startsWith("sam-speech-"));
  expect(dirs).toHaveLength(1);
  return path.join(tempRoot, dirs[0]);
}

async function post(route: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const { key = KEY, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key) headers.set("authorization", `Bearer ${key}`);
  return fetch(`${service.url}${route}`, { method: "POST", ...rest, headers });
}

async function errorOf(response: Response): Promise<{ message: string; type: string; param: string | null; code: string }> {
  const body = (await response.json()) as { error: { message: string; type: string; param: string | null; code: string } };
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  return body.error;
}

function form(fields: Record<string, string | Blob>): FormData {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
}

async function speakWav(input: string, voice = "en-us+klatt"): Promise<Uint8Array> {
  const response = await client.audio.speech.create({ model: "tts-1", voice, input, response_format: "wav" });
  return new Uint8Array(await response.arrayBuffer());
}

async function transcribe(audio: Uint8Array, name = "speech.wav", extra: { prompt?: string; model?: string } = {}): Promise<string> {
  const result = await client.audio.transcriptions.create({ file: await toFile(audio, name, { type: "audio/wav" }), model: extra.model ?? "whisper-1", ...(extra.prompt ? { prompt: extra.prompt } : {}) });
  return result.text;
}

beforeAll(async () => {
  const tools = detectSpeechTools();
  if (!tools.available) throw new Error(`the speech tests need ${tools.missing.join(", ")}: ${INSTALL_COMMAND}`);
  tempRoot = mkdtempSync(path.join(os.tmpdir(), "speech-test-"));
  work = mkdtempSync(path.join(os.tmpdir(), "speech-test-files-"));
  service = await startSpeechService({ port: 0, apiKey: KEY, tempRoot, log: () => {} });
  client = new OpenAI({ baseURL: `${service.url}/v1`, apiKey: KEY, maxRetries: 0 });
});

afterAll(async () => {
  await service?.close();
  if (tempRoot) {
    expect(readdirSync(tempRoot)).toEqual([]);
    rmSync(tempRoot, { recursive: true, force: true });
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the OpenAI-compatible routes through the official client", () => {
  it("lists its two models and answers health without the key", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(["pocketsphinx", "espeak-ng"]);
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", transcription: "pocketsphinx", speech: "espeak-ng" });
  });

  it("speaks a WAV of 16 kHz mono PCM16 with exact lengths, and the same samples raw as pcm", async () => {
    const input = "Create a mission to fix the login bug.";
    const wav = await speakWav(input);
    const info = parseWav(wav);
    expect(info).toMatchObject({ encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 16 });
    expect(info.dataBytes).toBe(wav.length - 44);
    expect(info.durationSeconds).toBeGreaterThan(1);
    expect(info.durationSeconds).toBeLessThan(5);

    const pcm = await client.audio.speech.create({ model: "tts-1", voice: "en-us+klatt", input, response_format: "pcm" });
    expect(pcm.headers.get("content-type")).toBe("audio/pcm");
    const raw = new Uint8Array(await pcm.arrayBuffer());
    expect(raw.length).toBe(info.dataBytes);
    expect(Buffer.from(raw).equals(Buffer.from(wav.subarray(44)))).toBe(true);
  });

  it("transcribes real espeak-ng speech of known sentences with the real pocketsphinx", async () => {
    const sentences = ["create a mission to fix the login bug", "what is the status of the project", "search the knowledge for the deploy process"];
    const results = [];
    for (const sentence of sentences) {
      const text = await transcribe(await speakWav(sentence));
      results.push({ sentence, text, ...wordErrors(sentence, text) });
    }
    console.log(results.map((r) => `${r.sentence} => ${r.text} (${r.errors} errors)`).join("\n"));
    const errors = results.reduce((sum, r) => sum + r.errors, 0);
    const words = results.reduce((sum, r) => sum + r.referenceWords, 0);
    expect(errors / words).toBeLessThanOrEqual(0.1);
    expect(results[0].text).toContain("mission");
  });

  it("answers text when asked, and nothing for silence", async () => {
    const wav = await speakWav("cancel the mission");
    const text = await client.audio.transcriptions.create({ file: await toFile(wav, "a.wav"), model: "whisper-1", response_format: "text" });
    expect(typeof text).toBe("string");
    expect(String(text)).toMatch(/mission/);
    const silence = pcm16Wav(new Uint8Array(32000), 16000);
    expect(await transcribe(silence)).toBe("");
  });

  it("converts other rates, channel counts and formats with sox, and recognises them alike", async () => {
    const wav = await speakWav("run the tests and fix the bug");
    const direct = await transcribe(wav);
    expect(wordErrors("run the tests and fix the bug", direct).wer).toBeLessThanOrEqual(0.3);
    const source = path.join(work, "source.wav");
    writeFileSync(source, wav);
    const variants: [string, string[]][] = [
      ["stereo44k.wav", ["-r", "44100", "-c", "2"]],
      ["float22k.wav", ["-r", "22050", "-e", "floating-point", "-b", "32"]],
      ["mono24k.flac", ["-r", "24000"]],
      ["ogg48k.ogg", ["-r", "48000", "-c", "2"]],
    ];
    for (const [name, args] of variants) {
      const file = path.join(work, name);
      execFileSync("sox", ["-q", "-D", source, ...args, file]);
      const converted = await transcribe(new Uint8Array(readFileSync(file)), name);
      expect(wordErrors("run the tests and fix the bug", converted).wer, `${name}: ${converted}`).toBeLessThanOrEqual(0.3);
    }
  });

  it("recognises a prompt's words, which the model alone cannot produce", async () => {
    const wav = await speakWav("deploy the zephyr cluster");
    const without = await transcribe(wav);
    expect(without).not.toContain("zephyr");
    const withPrompt = await transcribe(wav, "speech.wav", { prompt: "Tasks: Zephyr cluster upgrade" });
    expect(withPrompt).toContain("zephyr cluster");
  });

  it("runs Debian's stock model under the name pocketsphinx-generic", async () => {
    const text = await transcribe(await speakWav("what is the status of the project"), "a.wav", { model: "pocketsphinx-generic" });
    expect(text.length).toBeGreaterThan(0);
  });
});

describe("bad input gets OpenAI error objects", () => {
  it("a transcription without a file, with a non-audio file, a broken WAV, too short or too large audio", async () => {
    let response = await post("/v1/audio/transcriptions", { body: form({ model: "whisper-1" }) });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: "missing_file", param: "file", type: "invalid_request_error" });

    response = await post("/v1/audio/transcriptions", { body: form({ model: "whisper-1", file: new Blob(["this is not audio"], { type: "audio/wav" }) }) });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: "invalid_audio", param: "file" });

    const broken = new Uint8Array(64);
    broken.set(new TextEncoder().encode("RIFF\0\0\0\0WAVEjunk"));
    response = await post("/v1/audio/transcriptions", { body: form({ model: "whisper-1", file: new Blob([broken]) }) });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: "invalid_audio" });

    response = await post("/v1/audio/transcriptions", { body: form({ model: "whisper-1", file: new Blob([new Uint8Array(pcm16Wav(int16Bytes(new Int16Array(800)), 16000))]) }) });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: "audio_too_short", param: "file" });

    response = await post("/v1/audio/transcriptions", { body: form({ model: "whisper-1", file: new Blob([new Uint8Array(MAX_UPLOAD_BYTES + 1024 * 1024)]) }) });
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toMatchObject({ code: "file_too_large", param: "file", type: "invalid_request_error" });

    response = await post("/v1/audio/transcriptions", { headers: { "content-type": "application/json" }, body: "{}" });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_content_type");
  });

  it("a transcription in another language or format than it offers", async () => {
    const wav = await speakWav("yes");
    await expect(client.audio.transcriptions.create({ file: await toFile(wav, "a.wav"), model: "whisper-1", language: "fr" })).rejects.toMatchObject({ status: 400, code: "unsupported_language", param: "language" });
    await expect(client.audio.transcriptions.create({ file: await toFile(wav, "a.wav"), model: "whisper-1", response_format: "srt" })).rejects.toMatchObject({ status: 400, code: "unsupported_response_format" });
  });

  it("speech with empty, too long or non-JSON input, an unknown voice or format", async () => {
    await expect(client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "   " })).rejects.toMatchObject({ status: 400, code: "invalid_input", param: "input" });
    await expect(client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "a".repeat(4097) })).rejects.toMatchObject({ status: 400, param: "input" });
    await expect(client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "hello", response_format: "mp3" })).rejects.toMatchObject({ status: 400, code: "unsupported_response_format" });
    await expect(client.audio.speech.create({ model: "tts-1", voice: "xx-yy", input: "hello" })).rejects.toMatchObject({ status: 400, code: "invalid_voice", param: "voice" });
    await expect(client.audio.speech.create({ model: "tts-1", voice: "--stdout", input: "hello" })).rejects.toMatchObject({ status: 400, code: "invalid_voice" });
    const response = await post("/v1/audio/speech", { headers: { "content-type": "application/json" }, body: "{not json" });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_json");
  });

  it("an unknown route or method", async () => {
    const missing = await fetch(`${service.url}/v1/audio/translations`, { method: "POST", headers: { authorization: `Bearer ${KEY}` } });
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ code: "not_found", type: "not_found_error" });
    const wrong = await fetch(`${service.url}/v1/audio/speech`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(wrong.status).toBe(405);
  });
});

describe("the API key", () => {
  it("is required on every /v1 route when the service has one", async () => {
    for (const [route, init] of [
      ["/v1/models", { method: "GET" }],
      ["/v1/audio/speech", { method: "POST", body: JSON.stringify({ model: "tts-1", input: "hi", voice: "alloy" }), headers: { "content-type": "application/json" } }],
      ["/v1/audio/transcriptions", { method: "POST", body: form({ model: "whisper-1" }) }],
    ] as const) {
      const response = await fetch(`${service.url}${route}`, init);
      expect(response.status, route).toBe(401);
      expect(await errorOf(response)).toMatchObject({ code: "invalid_api_key", type: "authentication_error" });
    }
    const wrong = new OpenAI({ baseURL: `${service.url}/v1`, apiKey: "not-the-key", maxRetries: 0 });
    await expect(wrong.audio.speech.create({ model: "tts-1", voice: "alloy", input: "hello" })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("is not asked for when the service has none", async () => {
    const open = await startSpeechService({ port: 0, tempRoot, log: () => {} });
    try {
      const response = await fetch(`${open.url}/v1/audio/speech`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tts-1", input: "hello", voice: "alloy", response_format: "pcm" }) });
      expect(response.status).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    } finally {
      await open.close();
    }
  });
});

describe("limits", () => {
  it("refuses requests beyond the queue with 429, and times programs out with 504", async () => {
    const busy = await startSpeechService({ port: 0, tempRoot, concurrency: 1, maxQueued: 0, log: () => {} });
    try {
      const long = "Create a mission to add dark mode to the settings page and run every test. ".repeat(50);
      const responses = await Promise.all(
        [0, 1, 2].map(() => fetch(`${busy.url}/v1/audio/speech`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tts-1", input: long, voice: "alloy" }) })),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toContain(200);
      expect(statuses).toContain(429);
      const refused = responses.find((r) => r.status === 429)!;
      expect(await errorOf(refused)).toMatchObject({ code: "too_many_requests", type: "rate_limit_error" });
    } finally {
      await busy.close();
    }
    const slow = await startSpeechService({ port: 0, tempRoot, timeoutMs: 1, log: () => {} });
    try {
      const response = await fetch(`${slow.url}/v1/audio/speech`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "tts-1", input: "hello there", voice: "alloy" }) });
      expect(response.status).toBe(504);
      expect((await errorOf(response)).code).toBe("synthesis_timeout");
    } finally {
      await slow.close();
    }
  });

  it("leaves no request's temporary files behind", async () => {
    await transcribe(await speakWav("list the tasks"));
    const requests = path.join(serviceDir(), "requests");
    expect(readdirSync(requests)).toEqual([]);
  });
});
