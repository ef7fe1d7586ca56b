/**
 * A fake OpenAI-compatible speech server for tests: the contract SAM's speech providers speak
 * (src/models/speech/openai-speech.ts), with a "recogniser" that reads text encoded by
 * `spokenPcm` (spoken-pcm.ts) back exactly, and a "voice" that speaks text the same way:
 *
 *   POST /v1/audio/transcriptions  multipart: `file` (a WAV of PCM16 mono 16 kHz, checked),
 *        `model`, optional `prompt` and `response_format` → `{"text": ...}`; 400 for a file
 *        that is not such a WAV; 500 when the text read contains "[fail]".
 *   POST /v1/audio/speech  JSON `{model, input, voice, response_format: "wav"|"pcm"}` → the
 *        input as spoken PCM in a WAV whose lengths are streaming placeholders (0xFFFFFFFF, as
 *        `espeak-ng --stdout` writes them), or raw PCM (`audio/pcm`).
 *   GET  /__control/requests → {requests: [{route, model, prompt, voice, input, text, authorization}]}
 *   POST /__control/reset
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseWav } from "../../src/models/speech/wav.ts";
import { readSpokenPcm, spokenPcm, SAMPLE_RATE } from "./spoken-pcm.ts";

/** A request the fake received. */
export interface SpeechRequest {
  route: "transcriptions" | "speech";
  model: string | null;
  prompt: string | null;
  voice: string | null;
  /** The speech request's input. */
  input: string | null;
  /** The text a transcription read. */
  text: string | null;
  authorization: string | null;
}

/** A running fake speech server. */
export interface FakeSpeech {
  /** Base URL without `/v1`, e.g. http://127.0.0.1:43123 */
  url: string;
  requests: SpeechRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A WAV of PCM16 mono 16 kHz whose RIFF and data lengths are 0xFFFFFFFF (unknown, as a streaming writer leaves them). */
function streamingWav(pcm: Uint8Array): Uint8Array {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(0xffffffff, 4);
  header.write("WAVEfmt ", 8, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(0xffffffff, 40);
  return Buffer.concat([header, pcm]);
}

/** Starts the fake on 127.0.0.1 (`port` 0 picks a free one). */
export async function startFakeSpeech(port = 0): Promise<FakeSpeech> {
  const requests: SpeechRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const body = await readBody(req);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const error = (status: number, message: string) => json(status, { error: { message, type: "invalid_request_error", param: null, code: null } });
    if (path === "/__control/requests") return json(200, { requests });
    if (path === "/__control/reset") {
      requests.length = 0;
      return json(200, { ok: true });
    }
    const authorization = typeof req.headers.authorization === "string" ? req.headers.authorization : null;
    if (path === "/v1/audio/transcriptions" && req.method === "POST") {
      let form: FormData;
      try {
        form = await new Request("http://fake/", { method: "POST", headers: { "content-type": req.headers["content-type"] ?? "" }, body: new Uint8Array(body) }).formData();
      } catch {
        return error(400, "expected multipart/form-data");
      }
      const file = form.get("file");
      if (!(file instanceof Blob)) return error(400, "no file");
      const wav = new Uint8Array(await file.arrayBuffer());
      let text: string;
      try {
        const info = parseWav(wav);
        if (info.formatTag !== 1 || info.channels !== 1 || info.sampleRate !== SAMPLE_RATE || info.bitsPerSample !== 16) return error(400, "expected PCM16 mono 16 kHz");
        text = readSpokenPcm(wav.subarray(info.dataOffset, info.dataOffset + info.dataBytes));
      } catch (e) {
        return error(400, `not a WAV: ${String(e)}`);
      }
      const field = (name: string) => (typeof form.get(name) === "string" ? (form.get(name) as string) : null);
      requests.push({ route: "transcriptions", model: field("model"), prompt: field("prompt"), voice: null, input: null, text, authorization });
      if (text.includes("[fail]")) return error(500, "the recogniser failed");
      return json(200, { text });
    }
    if (path === "/v1/audio/speech" && req.method === "POST") {
      let request: { model?: unknown; input?: unknown; voice?: unknown; response_format?: unknown };
      try {
        request = JSON.parse(body.toString("utf8")) as typeof request;
      } catch {
        return error(400, "invalid JSON");
      }
      if (typeof request.input !== "string" || typeof request.model !== "string" || typeof request.voice !== "string") return error(400, "model, input and voice are required");
      requests.push({ route: "speech", model: request.model, prompt: null, voice: request.voice, input: request.input, text: null, authorization });
      const pcm = spokenPcm(request.input);
      if (request.response_format === "pcm") {
        res.writeHead(200, { "content-type": "audio/pcm" });
        return res.end(pcm);
      }
      res.writeHead(200, { "content-type": "audio/wav" });
      return res.end(streamingWav(pcm));
    }
    return error(404, `no route ${req.method} ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
