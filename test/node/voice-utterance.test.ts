/**
 * The utterance detector of the OpenAI-compatible transcriber (src/models/speech/utterance.ts):
 * an utterance starts after 120 ms of voiced audio and ends after 700 ms of silence, keeps 200
 * ms before and after, survives shorter pauses, is cut at its longest, and does not depend on
 * how the audio is chunked.
 */
import { describe, expect, it } from "vitest";
import {
  END_SILENCE_MS,
  FRAME_MS,
  MAX_UTTERANCE_MS,
  PRE_ROLL_MS,
  rmsLevel,
  SILENCE_RMS,
  SPEECH_RMS,
  SPEECH_START_MS,
  TAIL_MS,
  UtteranceDetector,
  type UtteranceEvent,
} from "../../src/models/speech/utterance.ts";

const RATE = 16_000;

/** `ms` of a 200 Hz sine at RMS level `rms` (full scale 1.0), PCM16. */
function tone(ms: number, rms: number): Uint8Array {
  const samples = Math.round((RATE * ms) / 1000);
  const out = new DataView(new ArrayBuffer(samples * 2));
  const peak = rms * Math.SQRT2 * 32767;
  for (let i = 0; i < samples; i++) out.setInt16(i * 2, Math.round(peak * Math.sin((2 * Math.PI * 200 * i) / RATE)), true);
  return new Uint8Array(out.buffer);
}

const silence = (ms: number) => new Uint8Array(Math.round((RATE * ms) / 1000) * 2);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
};
const utterances = (events: UtteranceEvent[]) => events.filter((e): e is Extract<UtteranceEvent, { type: "utterance" }> => e.type === "utterance");
const msOf = (pcm: Uint8Array) => (pcm.byteLength / 2 / RATE) * 1000;

/** Feeds `pcm` in chunks of `chunkBytes` and collects the events. */
function feed(detector: UtteranceDetector, pcm: Uint8Array, chunkBytes = 640): UtteranceEvent[] {
  const events: UtteranceEvent[] = [];
  for (let offset = 0; offset < pcm.byteLength; offset += chunkBytes) events.push(...detector.push(pcm.subarray(offset, offset + chunkBytes)));
  return events;
}

describe("rmsLevel", () => {
  it("measures RMS on full scale 1.0", () => {
    expect(rmsLevel(silence(20))).toBe(0);
    expect(rmsLevel(tone(100, 0.1))).toBeCloseTo(0.1, 2);
    expect(rmsLevel(new Uint8Array(0))).toBe(0);
  });
});

describe("UtteranceDetector", () => {
  it("has thresholds with hysteresis and the documented durations", () => {
    expect(SILENCE_RMS).toBeLessThan(SPEECH_RMS);
    expect([FRAME_MS, SPEECH_START_MS, END_SILENCE_MS, PRE_ROLL_MS, TAIL_MS, MAX_UTTERANCE_MS]).toEqual([20, 120, 700, 200, 200, 30_000]);
  });

  it("starts an utterance after 120 ms of speech, ends it after 700 ms of silence, with 200 ms of audio before and after", () => {
    const detector = new UtteranceDetector();
    const lead = feed(detector, concat(silence(500), tone(100, 0.1)));
    expect(lead).toEqual([]);
    expect(feed(detector, tone(20, 0.1))).toEqual([{ type: "speech-start" }]);
    expect(detector.speaking).toBe(true);
    feed(detector, tone(880, 0.1));
    expect(utterances(feed(detector, silence(680)))).toEqual([]);
    const [utterance] = utterances(feed(detector, silence(40)));
    expect(detector.speaking).toBe(false);
    // 200 ms before + 1 s of speech + 200 ms of its silence.
    expect(utterance.durationMs).toBe(1400);
    expect(msOf(utterance.pcm)).toBe(1400);
    expect(rmsLevel(utterance.pcm.subarray(0, 6400))).toBe(0);
    expect(rmsLevel(utterance.pcm.subarray(6400, 6400 + 32000))).toBeCloseTo(0.1, 2);
  });

  it("ignores clicks shorter than 120 ms and quiet noise", () => {
    const detector = new UtteranceDetector();
    expect(feed(detector, concat(tone(100, 0.3), silence(300), tone(2000, 0.005), silence(1000)))).toEqual([]);
  });

  it("keeps one utterance across pauses shorter than 700 ms and soft sounds between the thresholds", () => {
    const detector = new UtteranceDetector();
    const events = feed(detector, concat(tone(400, 0.1), silence(600), tone(300, 0.1), tone(600, 0.015), tone(300, 0.1), silence(800)));
    expect(events.filter((e) => e.type === "speech-start")).toHaveLength(1);
    expect(utterances(events)).toHaveLength(1);
  });

  it("finds two utterances separated by 700 ms of silence", () => {
    const detector = new UtteranceDetector();
    const events = feed(detector, concat(tone(400, 0.1), silence(700), tone(400, 0.1), silence(700)));
    expect(events.map((e) => e.type)).toEqual(["speech-start", "utterance", "speech-start", "utterance"]);
  });

  it("cuts an utterance at 30 s", () => {
    const detector = new UtteranceDetector();
    const events = feed(detector, tone(31_000, 0.1), 32_000);
    const [first] = utterances(events);
    expect(first.durationMs).toBe(MAX_UTTERANCE_MS);
  });

  it("does not depend on how the audio is chunked (odd chunks included)", () => {
    const audio = concat(silence(300), tone(700, 0.1), silence(750), tone(300, 0.2), silence(720));
    const whole = feed(new UtteranceDetector(), audio, audio.byteLength);
    const odd = feed(new UtteranceDetector(), audio, 333);
    expect(odd).toEqual(whole);
    expect(utterances(whole)).toHaveLength(2);
  });

  it("flushes a running utterance when the audio stops (its last partial frame included), and nothing when none runs; reset forgets it", () => {
    const detector = new UtteranceDetector();
    expect(detector.flush()).toEqual([]);
    feed(detector, tone(510, 0.1));
    const [flushed] = utterances(detector.flush());
    expect(flushed.durationMs).toBe(510);
    expect(msOf(flushed.pcm)).toBe(510);
    expect(detector.speaking).toBe(false);
    feed(detector, tone(500, 0.1));
    detector.reset();
    expect(detector.flush()).toEqual([]);
  });

  it("takes other thresholds", () => {
    const detector = new UtteranceDetector({ endSilenceMs: 200, speechRms: 0.2 });
    expect(feed(detector, concat(tone(300, 0.1), silence(300)))).toEqual([]);
    expect(utterances(feed(detector, concat(tone(300, 0.3), silence(200))))).toHaveLength(1);
  });
});
