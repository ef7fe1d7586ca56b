/**
 * SAM's OpenAI-compatible speech providers (src/models/speech/openai-speech.ts) against the fake
 * speech server (test/support/fake-speech.ts) over real HTTP: a session finds each utterance by
 * energy and silence, pays for it before posting it as a WAV, and reports its text; a client that
 * stops sending audio is flushed by the idle timer; a refused or failed recognition; speech comes
 * back as one repaired WAV per sentence; and where `SAM_SPEECH_BASE_URL` points.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compatSpeechModel, speechCostUsd, workersAiSpeechModel } from "../../src/models/speech/catalog.ts";
import type { SpeechCharge, SpeechMeter } from "../../src/models/speech/meter.ts";
import { IDLE_FLUSH_MS, OpenAICompatibleTranscriber, OpenAICompatibleTTS, speechApiBase, SpeechServerError, type OpenAISpeechConfig } from "../../src/models/speech/openai-speech.ts";
import { parseWav } from "../../src/models/speech/wav.ts";
import { startFakeSpeech, type FakeSpeech } from "../support/fake-speech.ts";
import { waitUntil } from "../support/poll.ts";
import { pcmFrames, readSpokenPcm, silencePcm, spokenPcm } from "../support/spoken-pcm.ts";

let fake: FakeSpeech;
let config: OpenAISpeechConfig;

beforeAll(async () => {
  fake = await startFakeSpeech();
  config = { baseUrl: speechApiBase(fake.url), apiKey: "node-key", transcriptionModel: "whisper-1", speechModel: "tts-1", voice: "alloy" };
});
afterAll(() => fake.close());

/** A meter that admits (or refuses, when `refuse`) and keeps what it was asked and told. */
function recordingMeter(refuse = false): SpeechMeter & { log: { kind: string; quantity: number; settled?: { status: string; quantity?: number } }[] } {
  const log: { kind: string; quantity: number; settled?: { status: string; quantity?: number } }[] = [];
  return {
    log,
    async begin(kind, quantity): Promise<SpeechCharge | null> {
      const entry: (typeof log)[number] = { kind, quantity };
      log.push(entry);
      if (refuse) return null;
      return {
        settle: async (outcome) => {
          entry.settled = { status: outcome.status, quantity: outcome.quantity };
        },
        release: async () => {},
      };
    },
    async record(kind, quantity) {
      log.push({ kind, quantity, settled: { status: "recorded" } });
    },
  };
}

function feedAll(session: { feed(chunk: ArrayBuffer): void }, pcm: Uint8Array): void {
  for (const frame of pcmFrames(pcm)) session.feed(frame.slice().buffer);
}

describe("the OpenAI-compatible transcriber", () => {
  it("finds an utterance, pays for its seconds first, posts it as a WAV with the vocabulary, and reports its text", async () => {
    const meter = recordingMeter();
    const starts: number[] = [];
    const texts: string[] = [];
    const session = new OpenAICompatibleTranscriber(config, { meter, prompt: () => "ship the readme" }).createSession({
      onSpeechStart: () => starts.push(Date.now()),
      onUtterance: (text) => texts.push(text),
    });
    feedAll(session, new Uint8Array([...silencePcm(300), ...spokenPcm("create a mission to fix the login bug"), ...silencePcm(800)]));
    expect(starts).toHaveLength(1);
    await waitUntil("the transcript", () => texts.length === 1, () => texts);
    expect(texts).toEqual(["create a mission to fix the login bug"]);
    const request = fake.requests.find((r) => r.text === "create a mission to fix the login bug");
    expect(request).toMatchObject({ route: "transcriptions", model: "whisper-1", prompt: "ship the readme", authorization: "Bearer node-key" });
    // The utterance: 200 ms before it, the speech (200 ms marker + 10 ms a byte), 200 ms after.
    const seconds = 0.2 + 0.2 + 0.37 + 0.2;
    expect(meter.log).toEqual([{ kind: "transcription", quantity: expect.closeTo(seconds, 1), settled: { status: "ok", quantity: undefined } }]);
    session.close();
  });

  it("ends an utterance when the audio stops (the idle timer), without waiting for silence", async () => {
    const texts: string[] = [];
    const session = new OpenAICompatibleTranscriber(config).createSession({ onUtterance: (text) => texts.push(text) });
    const before = Date.now();
    feedAll(session, spokenPcm("the microphone was muted here"));
    await waitUntil("the flushed transcript", () => texts.length === 1, () => texts);
    expect(texts).toEqual(["the microphone was muted here"]);
    expect(Date.now() - before).toBeGreaterThanOrEqual(IDLE_FLUSH_MS - 50);
    session.close();
  });

  it("posts nothing when the meter refuses, and reports a server error without ending the session", async () => {
    const refused = recordingMeter(true);
    const silent = new OpenAICompatibleTranscriber(config, { meter: refused }).createSession({ onUtterance: () => expect.fail("a refused utterance was reported") });
    feedAll(silent, new Uint8Array([...spokenPcm("nobody pays for this sentence"), ...silencePcm(800)]));
    await waitUntil("the meter to be asked", () => refused.log.length === 1, () => refused.log);
    expect(fake.requests.some((r) => r.text === "nobody pays for this sentence")).toBe(false);
    silent.close();

    const meter = recordingMeter();
    const errors: Error[] = [];
    const texts: string[] = [];
    const session = new OpenAICompatibleTranscriber(config, { meter, onError: (error) => errors.push(error) }).createSession({ onUtterance: (text) => texts.push(text) });
    feedAll(session, new Uint8Array([...spokenPcm("[fail] a broken recogniser"), ...silencePcm(800), ...spokenPcm("then a working one"), ...silencePcm(800)]));
    await waitUntil("the second transcript", () => texts.length === 1, () => ({ texts, errors: errors.map((e) => e.message) }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SpeechServerError);
    expect(errors[0].message).toContain("500");
    expect(meter.log.map((e) => e.settled?.status)).toEqual(["upstream_error", "ok"]);
    expect(texts).toEqual(["then a working one"]);
    session.close();
  });

  it("stops after close: no request for audio fed later", async () => {
    const texts: string[] = [];
    const session = new OpenAICompatibleTranscriber(config).createSession({ onUtterance: (text) => texts.push(text) });
    session.close();
    feedAll(session, new Uint8Array([...spokenPcm("spoken after the call ended"), ...silencePcm(800)]));
    await new Promise((resolve) => setTimeout(resolve, IDLE_FLUSH_MS + 100));
    expect(fake.requests.some((r) => r.text === "spoken after the call ended")).toBe(false);
    expect(texts).toEqual([]);
  });
});

describe("the OpenAI-compatible voice", () => {
  it("answers each sentence as one WAV with exact lengths (the server's are placeholders)", async () => {
    const audio = await new OpenAICompatibleTTS(config).synthesize("Hello from the tech lead.");
    const bytes = new Uint8Array(audio as ArrayBuffer);
    const info = parseWav(bytes);
    expect(info.dataOffset + info.dataBytes).toBe(bytes.byteLength);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(bytes.byteLength - 8);
    expect(readSpokenPcm(bytes.subarray(info.dataOffset))).toBe("Hello from the tech lead.");
    expect(fake.requests.find((r) => r.input === "Hello from the tech lead.")).toMatchObject({ model: "tts-1", voice: "alloy", authorization: "Bearer node-key" });
  });

  it("fails clearly when the server refuses or answers what is not audio", async () => {
    await expect(new OpenAICompatibleTTS({ ...config, baseUrl: `${fake.url}/v2` }).synthesize("x")).rejects.toThrow(/answered 404 to \/audio\/speech: .*no route POST \/v2\/audio\/speech/);
    const notAudio = new OpenAICompatibleTTS({ ...config, fetch: async () => new Response("<html>", { headers: { "content-type": "text/html" } }) });
    await expect(notAudio.synthesize("x")).rejects.toThrow(/not WAV audio/);
    const echo = new OpenAICompatibleTTS({ ...config, apiKey: "secret-key", fetch: async () => new Response("bad key secret-key", { status: 401 }) });
    await expect(echo.synthesize("x")).rejects.toThrow("the speech server answered 401 to /audio/speech: bad key [redacted]");
  });
});

describe("speechApiBase", () => {
  it("adds /v1 to a bare server URL and keeps a URL with a path", () => {
    expect(speechApiBase("http://127.0.0.1:8790")).toBe("http://127.0.0.1:8790/v1");
    expect(speechApiBase("http://127.0.0.1:8790/")).toBe("http://127.0.0.1:8790/v1");
    expect(speechApiBase("https://api.openai.com/v1/")).toBe("https://api.openai.com/v1");
    expect(speechApiBase("https://host.example/openai/v1")).toBe("https://host.example/openai/v1");
    expect(() => speechApiBase("file:///tmp/x")).toThrow(TypeError);
  });
});

describe("speech prices", () => {
  it("prorate Workers AI's per-minute and per-character prices; the speech server is free unless priced", () => {
    const flux = workersAiSpeechModel("@cf/deepgram/flux");
    const aura = workersAiSpeechModel("@cf/deepgram/aura-1");
    expect(flux && speechCostUsd(flux, 30)).toBeCloseTo(0.00385, 8);
    expect(aura && speechCostUsd(aura, 1000)).toBeCloseTo(0.015, 8);
    expect(speechCostUsd(compatSpeechModel("transcription", "whisper-1"), 600)).toBe(0);
    const priced = compatSpeechModel("speech", "tts-1", JSON.stringify({ "tts-1": { perMillionChars: 15 } }));
    expect(priced).toMatchObject({ id: "speech/tts-1", provider: "compat" });
    expect(speechCostUsd(priced, 2000)).toBeCloseTo(0.03, 8);
    expect(speechCostUsd(compatSpeechModel("speech", "tts-1", "not json"), 2000)).toBe(0);
    expect(workersAiSpeechModel("@cf/openai/whisper")).toBeNull();
  });
});
