/**
 * A Node client of the voice tech lead's socket (`/agents/tech-lead-voice/<projectId>`, the
 * Agents SDK's `withVoice` protocol) for the end-to-end test and the voice benchmark: the `ws`
 * package, the bearer token as `?token=` (as the project socket takes it), every frame kept with
 * the `performance.now()` time it arrived, and `espeak-ng` speech made into 16 kHz PCM16 to send.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { SILENCE_RMS } from "../../src/models/speech/utterance.ts";
import { pcmFrames, silencePcm } from "../support/spoken-pcm.ts";

/** A frame the voice socket sent: JSON (`json`) or binary audio (`bytes`), and when it arrived (`performance.now()`, ms). */
export type VoiceReceived = { at: number; json: { type: string; [key: string]: unknown } } | { at: number; bytes: number };

/** An open voice socket: the frames received so far, and how to send. */
export interface VoiceSocket {
  ws: WebSocket;
  received: VoiceReceived[];
  /** The JSON frames received so far. */
  json(): { type: string; [key: string]: unknown }[];
  /** Sends a JSON control frame. */
  send(frame: object): void;
  /** Closes the socket and waits for it to close. */
  close(): Promise<void>;
}

/** Opens the voice socket of `projectId` on `host` with `token`; rejects with the HTTP status when the upgrade is refused. */
export async function openVoice(host: string, projectId: string, token: string): Promise<VoiceSocket> {
  const ws = new WebSocket(`ws://${host}/agents/tech-lead-voice/${projectId}?token=${encodeURIComponent(token)}`);
  const received: VoiceReceived[] = [];
  ws.on("message", (data, isBinary) => {
    const at = performance.now();
    if (isBinary) received.push({ at, bytes: (data as Buffer).byteLength });
    else received.push({ at, json: JSON.parse(String(data)) as { type: string } });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`voice upgrade refused: HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
  return {
    ws,
    received,
    json: () => received.flatMap((r) => ("json" in r ? [r.json] : [])),
    send: (frame) => ws.send(JSON.stringify(frame)),
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", () => resolve());
        ws.close();
      }),
  };
}

/** Fails with what to install when a program is missing. */
function requireProgram(name: string): void {
  const result = spawnSync(name, ["--version"], { stdio: "ignore" });
  if (result.error || result.status !== 0) throw new Error(`${name} is missing (Debian: apt-get install -y espeak-ng sox): the voice tests speak with it`);
}

/** `text` spoken by espeak-ng (`en-us+klatt`, 150 words a minute) as PCM16 little-endian mono 16 kHz, with no header and no padding. */
export function espeakPcm(text: string): Uint8Array {
  requireProgram("espeak-ng");
  requireProgram("sox");
  const dir = mkdtempSync(join(tmpdir(), "sam-voice-pcm-"));
  try {
    const wav = join(dir, "said.wav");
    const raw = join(dir, "said.raw");
    execFileSync("espeak-ng", ["-v", "en-us+klatt", "-s", "150", "-w", wav, text]);
    execFileSync("sox", [wav, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", raw]);
    return new Uint8Array(readFileSync(raw));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `pcm` (PCM16 mono 16 kHz) as a WAV file (44-byte RIFF header). */
export function wavOf(pcm: Uint8Array): Uint8Array {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + pcm.byteLength, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16_000, 24);
  header.writeUInt32LE(32_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(pcm.byteLength, 40);
  return new Uint8Array(Buffer.concat([header, pcm]));
}

/**
 * Sends `pcm` as 20 ms binary frames at real-time pace, then `silenceMs` of silence frames at the
 * same pace, as a microphone would. Pacing audio at the protocol's own rate is the protocol, not
 * synchronisation: the server detects the end of speech from the silence it hears, so audio sent
 * faster than real time would be a different (unrealistic) input. Returns the `performance.now()`
 * time (ms) the last voiced frame of `pcm` was sent: the end of the person's speech (a frame is
 * voiced when its RMS level is at least the utterance detector's SILENCE_RMS, 0.01 of full scale;
 * the recording's own trailing silence is not speech).
 */
export async function speak(socket: VoiceSocket, pcm: Uint8Array, silenceMs: number): Promise<number> {
  const speech = pcmFrames(pcm, 20);
  const silence = pcmFrames(silencePcm(silenceMs), 20);
  const start = performance.now();
  let lastSpeechAt = start;
  const lastVoiced = lastVoicedFrame(speech);
  const frames = [...speech, ...silence];
  for (let i = 0; i < frames.length; i++) {
    const due = start + i * 20;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait)); // the audio's own clock (20 ms a frame), see above
    if (socket.ws.readyState !== WebSocket.OPEN) break;
    socket.ws.send(frames[i]);
    if (i === lastVoiced) lastSpeechAt = performance.now();
  }
  return lastSpeechAt;
}

/** The index of the last of `frames` (PCM16 mono) whose RMS level (full scale 1.0) is at least SILENCE_RMS; -1 when none is. */
export function lastVoicedFrame(frames: readonly Uint8Array[]): number {
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i];
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength - (frame.byteLength % 2));
    let sum = 0;
    const count = view.byteLength / 2;
    for (let k = 0; k < count; k++) sum += (view.getInt16(k * 2, true) / 32768) ** 2;
    if (count > 0 && Math.sqrt(sum / count) >= SILENCE_RMS) return i;
  }
  return -1;
}
