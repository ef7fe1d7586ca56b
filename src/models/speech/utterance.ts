/**
 * Where an utterance begins and ends in a continuous stream of PCM16 mono 16 kHz audio, by its
 * energy: the end-of-turn detection of the OpenAI-compatible transcriber (openai-speech.ts),
 * whose servers recognise whole files and detect no turns themselves. (The Agents SDK's server
 * ignores the client's `end_of_speech`: the transcriber must decide.) Pure: audio in, events out,
 * time measured in samples; the wall-clock flush for a client that stops sending audio is the
 * session's.
 *
 * The audio is cut into FRAME_MS frames and each frame's RMS level (full scale 1.0) is compared
 * with two thresholds (hysteresis): SPEECH_START_MS of consecutive frames at or above
 * SPEECH_RMS start an utterance (with PRE_ROLL_MS of the audio before it, so the first syllable
 * is not clipped); END_SILENCE_MS of consecutive frames below SILENCE_RMS end it. An utterance
 * longer than MAX_UTTERANCE_MS is cut there.
 */
import { PCM_SAMPLE_RATE } from "./wav.ts";

/** Analysis frame (ms): 20 ms, the frame of most speech codecs and VADs (WebRTC VAD takes 10, 20 or 30). */
export const FRAME_MS = 20;
/**
 * RMS level (full scale 1.0) at or above which a frame is voiced: 0.02, about −34 dBFS. A quiet
 * room through a laptop microphone reads 0.002–0.01 and conversational speech 0.05–0.3; the SDK's
 * browser client calls a level under 0.04 silence and starts a barge-in at 0.05, after its own
 * gain, so a server threshold a little below those catches the same speech.
 */
export const SPEECH_RMS = 0.02;
/**
 * RMS level under which a frame counts as silence once an utterance runs: 0.01 (about −40
 * dBFS), half of SPEECH_RMS, so soft consonants and breaths between words (between the two
 * thresholds) do not end it.
 */
export const SILENCE_RMS = 0.01;
/** Consecutive voiced audio (ms) that starts an utterance: 120 ms (6 frames), longer than a click or a tap on the microphone, shorter than a one-syllable word. */
export const SPEECH_START_MS = 120;
/**
 * Silence (ms) that ends an utterance: 700 ms. Pauses inside a sentence are mostly under 500 ms,
 * and a turn-taking gap is 200 ms to a second; 700 ms is the figure the recipe in the runbook
 * verified (a reply starts about 0.9 s after the speaker stops).
 */
export const END_SILENCE_MS = 700;
/** Audio (ms) kept from before the utterance's start, so its first syllable is not clipped: 200 ms. */
export const PRE_ROLL_MS = 200;
/** Silence (ms) kept after the last voiced frame: 200 ms; recognisers expect a little silence at the end of a file. */
export const TAIL_MS = 200;
/** Longest utterance (ms): 30 s, then it is cut (one recogniser request stays under about 1 MB of WAV). */
export const MAX_UTTERANCE_MS = 30_000;

/** The detector's thresholds and durations (defaults: the constants above). */
export interface UtteranceOptions {
  speechRms: number;
  silenceRms: number;
  speechStartMs: number;
  endSilenceMs: number;
  preRollMs: number;
  tailMs: number;
  maxUtteranceMs: number;
  /** Samples per second (default PCM_SAMPLE_RATE). */
  sampleRate: number;
}

/** The defaults of {@link UtteranceOptions}. */
export const DEFAULT_UTTERANCE_OPTIONS: Readonly<UtteranceOptions> = {
  speechRms: SPEECH_RMS,
  silenceRms: SILENCE_RMS,
  speechStartMs: SPEECH_START_MS,
  endSilenceMs: END_SILENCE_MS,
  preRollMs: PRE_ROLL_MS,
  tailMs: TAIL_MS,
  maxUtteranceMs: MAX_UTTERANCE_MS,
  sampleRate: PCM_SAMPLE_RATE,
};

/**
 * What the detector saw: `speech-start` when an utterance begins (a barge-in cue), `utterance`
 * when one ends, with its audio (PCM16 mono, pre-roll and tail included) and its length in ms.
 */
export type UtteranceEvent = { type: "speech-start" } | { type: "utterance"; pcm: Uint8Array; durationMs: number };

/** RMS level (full scale 1.0) of PCM16 little-endian samples; 0 for none. */
export function rmsLevel(pcm: Uint8Array): number {
  const samples = Math.floor(pcm.byteLength / 2);
  if (samples === 0) return 0;
  const view = new DataView(pcm.buffer, pcm.byteOffset, samples * 2);
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    const s = view.getInt16(i * 2, true) / 32768;
    sum += s * s;
  }
  return Math.sqrt(sum / samples);
}

/** An utterance detector for one stream of audio (one call). */
export class UtteranceDetector {
  private readonly options: UtteranceOptions;
  private readonly frameBytes: number;
  /** Bytes of the frame being filled (a chunk need not end on a frame). */
  private partial = new Uint8Array(0);
  /** Frames before an utterance (at most pre-roll + start frames), while idle. */
  private recent: Uint8Array[] = [];
  /** Consecutive voiced frames while idle. */
  private voicedRun = 0;
  /** The utterance's frames, while speaking. */
  private frames: Uint8Array[] = [];
  /** Consecutive silent frames at the end of the utterance. */
  private silentRun = 0;
  private inSpeech = false;

  /** `options`: any of {@link UtteranceOptions} (the rest default). */
  constructor(options: Partial<UtteranceOptions> = {}) {
    this.options = { ...DEFAULT_UTTERANCE_OPTIONS, ...options };
    this.frameBytes = Math.round((this.options.sampleRate * FRAME_MS) / 1000) * 2;
  }

  /** Whether an utterance is running (started and not yet ended). */
  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Feeds PCM16 little-endian mono audio; returns what it completed, in order. */
  push(chunk: Uint8Array): UtteranceEvent[] {
    const events: UtteranceEvent[] = [];
    let bytes = chunk;
    if (this.partial.byteLength > 0) {
      bytes = new Uint8Array(this.partial.byteLength + chunk.byteLength);
      bytes.set(this.partial);
      bytes.set(chunk, this.partial.byteLength);
    }
    let offset = 0;
    while (offset + this.frameBytes <= bytes.byteLength) {
      this.frame(bytes.slice(offset, offset + this.frameBytes), events);
      offset += this.frameBytes;
    }
    this.partial = bytes.slice(offset);
    return events;
  }

  /**
   * Ends the running utterance now (the audio stopped: the session's timer, or the call's end)
   * and returns it, with the audio of the last, partial frame; nothing when none runs.
   */
  flush(): UtteranceEvent[] {
    const partial = this.partial;
    this.partial = new Uint8Array(0);
    if (!this.inSpeech) {
      this.resetIdle();
      return [];
    }
    if (partial.byteLength >= 2) this.frames.push(partial.slice(0, partial.byteLength - (partial.byteLength % 2)));
    return [this.finish()];
  }

  /** Forgets all audio (an interrupt): back to idle. */
  reset(): void {
    this.partial = new Uint8Array(0);
    this.frames = [];
    this.silentRun = 0;
    this.inSpeech = false;
    this.resetIdle();
  }

  private frame(frame: Uint8Array, events: UtteranceEvent[]): void {
    const level = rmsLevel(frame);
    const { speechRms, silenceRms } = this.options;
    if (!this.inSpeech) {
      this.recent.push(frame);
      this.voicedRun = level >= speechRms ? this.voicedRun + 1 : 0;
      const keep = this.framesOf(this.options.preRollMs) + this.framesOf(this.options.speechStartMs);
      if (this.recent.length > keep) this.recent.splice(0, this.recent.length - keep);
      if (this.voicedRun >= this.framesOf(this.options.speechStartMs)) {
        this.inSpeech = true;
        this.frames = this.recent;
        this.silentRun = 0;
        this.resetIdle();
        events.push({ type: "speech-start" });
      }
      return;
    }
    this.frames.push(frame);
    this.silentRun = level < silenceRms ? this.silentRun + 1 : 0;
    if (this.silentRun >= this.framesOf(this.options.endSilenceMs) || this.frames.length >= this.framesOf(this.options.maxUtteranceMs)) {
      events.push(this.finish());
    }
  }

  /** The running utterance as an event (its trailing silence cut to the tail), and back to idle. */
  private finish(): UtteranceEvent {
    const drop = Math.max(0, this.silentRun - this.framesOf(this.options.tailMs));
    const kept = this.frames.slice(0, this.frames.length - drop);
    const pcm = new Uint8Array(kept.reduce((n, frame) => n + frame.byteLength, 0));
    let offset = 0;
    for (const frame of kept) {
      pcm.set(frame, offset);
      offset += frame.byteLength;
    }
    this.frames = [];
    this.silentRun = 0;
    this.inSpeech = false;
    this.resetIdle();
    return { type: "utterance", pcm, durationMs: Math.round((pcm.byteLength / 2 / this.options.sampleRate) * 1000) };
  }

  private resetIdle(): void {
    this.recent = [];
    this.voicedRun = 0;
  }

  /** Whole frames in `ms` (at least 1). */
  private framesOf(ms: number): number {
    return Math.max(1, Math.round(ms / FRAME_MS));
  }
}
