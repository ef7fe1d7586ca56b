/**
 * Benchmark 5, voice latency (issue 14, "Performance"): from the end of the person's speech to
 * the first audio frame of the tech lead's reply, with a scripted tech lead, through the voice
 * socket of the stack `npm run bench` starts (local speech service: pocketsphinx + espeak-ng).
 *
 * Method: one project whose scripted tech lead answers every turn with REPLY (two sentences);
 * one voice call (`hello`, `start_call`); per turn the client sends an `espeak-ng` recording of
 * SAID as 20 ms PCM16 frames at real-time pace, then silence frames (test/e2e/voice-client.ts).
 * Times are this process's `performance.now()`: t0 = the last voiced frame of the recording was
 * sent (the end of speech); then
 *   - recognition: t0 → the `transcript` frame with role `user` (includes the utterance
 *     detector's END_SILENCE_MS, 700 ms of silence before it calls the utterance over, and the
 *     recogniser's run);
 *   - first token: t0 → the first `transcript_delta` of the reply;
 *   - first audio: t0 → the first binary frame of the reply (the first sentence synthesised).
 * The turn ends at `status: listening` after the audio; the next turn starts then. WARMUP turns
 * are excluded, then TURNS measured: p50 and p95 of each.
 *
 * Floor: the same pipeline called directly in this process, nothing of SAM's or the SDK's in
 * between: POST the same recording as WAV to a local speech service (`startSpeechService`, the
 * one `npm start` starts) `/v1/audio/transcriptions`; run the scripted model (`streamText` over
 * `createScriptedModel([{text: REPLY}])`) until its first text delta and its first sentence;
 * POST that sentence to `/v1/audio/speech`. t0 = just before the transcription request; the
 * same three marks. It has no end-of-speech detection: the recogniser gets the whole recording.
 */
import { streamText } from "ai";
import { createScriptedModel } from "../../src/models/scripted.ts";
import { END_SILENCE_MS } from "../../src/models/speech/utterance.ts";
import { startSpeechService } from "../../src/speech/server.ts";
import { call, type Stack } from "../../test/e2e/stack.ts";
import { espeakPcm, openVoice, speak, wavOf, type VoiceSocket } from "../../test/e2e/voice-client.ts";
import { waitUntil } from "../../test/support/poll.ts";
import { formatTable, round, withTimeout, type Row } from "./stats.ts";

/** Fixed workload. */
export interface VoiceBenchConfig {
  /** Measured turns. */
  turns: number;
  /** Warm-up turns (excluded). */
  warmup: number;
  /** Silence sent after each recording, ms (more than the detector's END_SILENCE_MS). */
  silenceMs: number;
  /** Upper bound on one turn, ms. */
  turnTimeoutMs: number;
}

/** The issue's workload: 20 measured turns after 2 warm-up turns, 1.5 s of silence after each. */
export const DEFAULT_VOICE_CONFIG: VoiceBenchConfig = { turns: 20, warmup: 2, silenceMs: 1_500, turnTimeoutMs: 60_000 };

/** What the person says: a request of the recogniser's kind. */
const SAID = "list the missions";
/** The scripted tech lead's reply: two sentences, so the first audio is the first sentence's. */
const REPLY = "There are no missions yet. Tell me the goal and I will plan one.";
/** Goal of the issue: end of speech to first audio, p50 under 1.5 s. */
const GOAL_MS = 1_500;

/** One turn's marks, ms after the end of speech. */
export interface VoiceTurn {
  recognitionMs: number;
  firstTokenMs: number;
  firstAudioMs: number;
}

/** p50 and p95 (nearest rank) of each mark, ms. */
export interface VoiceSummary {
  count: number;
  recognition: { p50: number; p95: number };
  firstToken: { p50: number; p95: number };
  firstAudio: { p50: number; p95: number };
}

/** The voice benchmark's figures (ms). */
export interface VoiceBenchResult {
  config: VoiceBenchConfig;
  said: string;
  heard: string[];
  sam: { turns: VoiceTurn[]; summary: VoiceSummary };
  floor: { turns: VoiceTurn[]; summary: VoiceSummary };
  rows: Row[];
}

/** The p-th percentile (0..100, nearest rank) of `values`, ms; NaN when empty. */
function pct(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/** p50 and p95 of every mark of `turns`. */
export function summarizeTurns(turns: readonly VoiceTurn[]): VoiceSummary {
  const of = (key: keyof VoiceTurn) => ({ p50: round(pct(turns.map((t) => t[key]), 50), 1), p95: round(pct(turns.map((t) => t[key]), 95), 1) });
  return { count: turns.length, recognition: of("recognitionMs"), firstToken: of("firstTokenMs"), firstAudio: of("firstAudioMs") };
}

/** One turn over the socket: speaks `pcm`, waits for the reply's audio and the return to listening; returns its marks and what was heard. */
async function socketTurn(voice: VoiceSocket, pcm: Uint8Array, config: VoiceBenchConfig): Promise<{ turn: VoiceTurn; heard: string }> {
  const from = voice.received.length;
  const since = () => voice.received.slice(from);
  const show = () => since().map((r) => ("json" in r ? r.json : { binary: r.bytes }));
  const end = await speak(voice, pcm, config.silenceMs);
  const opts = { timeoutMs: config.turnTimeoutMs, intervalMs: 10 };
  await waitUntil("the reply's audio and the return to listening", () => {
    const got = since();
    const audio = got.findIndex((r) => "bytes" in r);
    return audio >= 0 && got.slice(audio).some((r) => "json" in r && r.json.type === "status" && r.json.status === "listening");
  }, show, opts);
  const got = since();
  const user = got.find((r) => "json" in r && r.json.type === "transcript" && r.json.role === "user");
  const delta = got.find((r) => "json" in r && r.json.type === "transcript_delta");
  const audio = got.find((r) => "bytes" in r);
  const error = got.find((r) => "json" in r && r.json.type === "error");
  if (error) throw new Error(`voice error frame in a turn: ${JSON.stringify(show())}`);
  if (!user || !delta || !audio) throw new Error(`a turn lacked its transcript, reply or audio: ${JSON.stringify(show())}`);
  return {
    turn: { recognitionMs: user.at - end, firstTokenMs: delta.at - end, firstAudioMs: audio.at - end },
    heard: "json" in user ? String(user.json.text) : "",
  };
}

/** The floor's turns: the same recording, model and reply called directly (see the module's comment). */
async function floorTurns(wav: Uint8Array, count: number, warmup: number): Promise<VoiceTurn[]> {
  const service = await startSpeechService({ port: 0, log: () => {} });
  try {
    const turns: VoiceTurn[] = [];
    for (let i = 0; i < warmup + count; i++) {
      const t0 = performance.now();
      const form = new FormData();
      form.append("file", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "said.wav");
      form.append("model", "pocketsphinx");
      const stt = await fetch(`${service.url}/v1/audio/transcriptions`, { method: "POST", body: form });
      if (!stt.ok) throw new Error(`floor transcription: HTTP ${stt.status} ${await stt.text()}`);
      await stt.json();
      const recognised = performance.now();
      let firstToken = Number.NaN;
      let text = "";
      let sentence = "";
      const stream = streamText({ model: createScriptedModel([{ text: REPLY }]), prompt: SAID });
      for await (const delta of stream.textStream) {
        if (Number.isNaN(firstToken)) firstToken = performance.now();
        text += delta;
        const match = /^(.+?[.!?])(\s|$)/.exec(text);
        if (match) {
          sentence = match[1];
          break;
        }
      }
      sentence ||= text;
      const tts = await fetch(`${service.url}/v1/audio/speech`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "espeak-ng", input: sentence, response_format: "wav" }) });
      if (!tts.ok) throw new Error(`floor speech: HTTP ${tts.status} ${await tts.text()}`);
      await tts.arrayBuffer();
      const audio = performance.now();
      if (i >= warmup) turns.push({ recognitionMs: recognised - t0, firstTokenMs: firstToken - t0, firstAudioMs: audio - t0 });
    }
    return turns;
  } finally {
    await service.close();
  }
}

/** Runs the voice benchmark against `stack` (see the module's comment); throws when a turn fails or times out. */
export async function runVoiceBench(stack: Stack, config: VoiceBenchConfig = DEFAULT_VOICE_CONFIG): Promise<VoiceBenchResult> {
  const pcm = espeakPcm(SAID);
  const total = config.warmup + config.turns;
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: `voice bench ${Date.now()}` } });
  await call(stack, `/api/projects/${project.id}`, { method: "PATCH", json: { techLead: { model: "scripted", script: Array.from({ length: total }, () => ({ text: REPLY })) } } });
  const voice = await openVoice(stack.host, project.id, stack.token);
  const samTurns: VoiceTurn[] = [];
  const heard: string[] = [];
  try {
    voice.send({ type: "hello", protocol_version: 1 });
    voice.send({ type: "start_call", preferred_format: "wav" });
    await waitUntil("the tech lead to listen", () => voice.json().some((f) => f.type === "status" && f.status === "listening"), () => voice.json(), { timeoutMs: 30_000 });
    for (let i = 0; i < total; i++) {
      const { turn, heard: text } = await withTimeout(socketTurn(voice, pcm, config), config.turnTimeoutMs + 10_000, `voice turn ${i + 1}`);
      if (i >= config.warmup) {
        samTurns.push(turn);
        heard.push(text);
      }
    }
    voice.send({ type: "end_call" });
  } finally {
    await voice.close();
  }
  const floor = await floorTurns(wavOf(pcm), config.turns, config.warmup);
  const sam = summarizeTurns(samTurns);
  const base = summarizeTurns(floor);
  const row = (metric: string, s: number | string, b: number | string, goal = "", met: boolean | null = null): Row => ({ metric, sam: s, baseline: b, ratio: typeof s === "number" && typeof b === "number" ? round(s / b, 2) : "", goal, met });
  const rows: Row[] = [
    row("end of speech → first audio p50 (ms)", sam.firstAudio.p50, base.firstAudio.p50, `< ${GOAL_MS} ms`, sam.firstAudio.p50 < GOAL_MS),
    row("end of speech → first audio p95 (ms)", sam.firstAudio.p95, base.firstAudio.p95),
    row("  recognition p50 / p95: → user transcript (ms)", `${sam.recognition.p50} / ${sam.recognition.p95}`, `${base.recognition.p50} / ${base.recognition.p95}`),
    row("  first token p50 / p95: → first reply delta (ms)", `${sam.firstToken.p50} / ${sam.firstToken.p95}`, `${base.firstToken.p50} / ${base.firstToken.p95}`),
    row("  first sentence p50 / p95: → first audio frame (ms)", `${sam.firstAudio.p50} / ${sam.firstAudio.p95}`, `${base.firstAudio.p50} / ${base.firstAudio.p95}`),
    { metric: `  of which end-of-speech detection (ms)`, sam: END_SILENCE_MS, baseline: 0, ratio: "", goal: "", met: null },
  ];
  return { config, said: SAID, heard: [...new Set(heard)], sam: { turns: samTurns, summary: sam }, floor: { turns: floor, summary: base }, rows };
}

/** The voice benchmark's table (text; prints nothing). */
export function formatVoiceTable(result: VoiceBenchResult): string {
  const c = result.config;
  return formatTable(`Voice latency: ${c.turns} turns (+${c.warmup} warm-up), scripted tech lead, local speech; SAM = over the voice socket, baseline = the same pipeline called directly in one Node process (floor); heard: ${result.heard.map((h) => `"${h}"`).join(", ")}`, result.rows);
}
