/**
 * Pure audio arithmetic of the voice conversation (no DOM, no Web Audio): what the microphone's
 * worklet does to the captured samples before they go to the tech lead, and what the page does
 * with the reply's audio to measure it. The voice protocol's input format comes from the Agents
 * SDK (`agents/voice`, docs "How It Works"): 16 kHz mono 16-bit little-endian PCM, in binary
 * WebSocket frames.
 */

/** The sample rate of the audio sent to the tech lead, in Hz (the voice protocol's input rate). */
export const VOICE_INPUT_RATE = 16_000;

/**
 * Samples (at VOICE_INPUT_RATE) in one frame sent to the server: 1600, i.e. 100 ms, the SDK's own
 * capture chunk, so its silence and barge-in detection (counted in chunks) behave as with its
 * built-in microphone.
 */
export const VOICE_FRAME_SAMPLES = 1_600;

/** The microphone worklet's registered name (src/ui/lib/voiceCaptureWorklet.ts), as `new AudioWorkletNode(context, name)` asks for it. */
export const CAPTURE_PROCESSOR_NAME = "sam-voice-capture";

/** What the microphone worklet posts to the page for each frame: the frame as 16 kHz PCM16, and its RMS level in [0, 1]. */
export type CaptureFrame = { pcm: ArrayBuffer; rms: number };

/**
 * Converts a mono stream from `inputRate` to `outputRate` Hz, block by block, keeping its
 * position between blocks (so a rate that is not a whole multiple, 44.1 kHz to 16 kHz, has no
 * seam at each 128-sample block of a worklet). Downsampling averages the input samples that fall
 * in each output sample's span (a box filter: the aliasing of picking every n-th sample is worst
 * on sibilants, which a recogniser needs); upsampling interpolates linearly.
 */
export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  /** Input samples per output sample. */
  private readonly ratio: number;
  /** Downsampling: the running sum and count of the current output sample's span. */
  private sum = 0;
  private count = 0;
  /** Downsampling: output samples made and input samples consumed since the start (a span ends when consumed × outputRate reaches (made + 1) × inputRate: exact, no drift from adding a fractional ratio). */
  private made = 0;
  private consumed = 0;
  /** Upsampling: the last input sample of the previous block, and the next output position (input samples, fractional). */
  private previous = 0;
  private position = 0;

  /** A resampler from `inputRate` to `outputRate` (both Hz, > 0); throws a RangeError otherwise. */
  constructor(inputRate: number, outputRate: number = VOICE_INPUT_RATE) {
    if (!(inputRate > 0) || !(outputRate > 0)) throw new RangeError(`sample rates must be positive, got ${inputRate} → ${outputRate}`);
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.ratio = inputRate / outputRate;
  }

  /** The output samples that `input` (the next block, in [-1, 1]) completes; state carries to the next call. */
  push(input: Float32Array): Float32Array {
    return this.ratio >= 1 ? this.down(input) : this.up(input);
  }

  private down(input: Float32Array): Float32Array {
    const out = new Float32Array(Math.ceil((input.length + this.count) / this.ratio) + 1);
    let n = 0;
    for (let i = 0; i < input.length; i++) {
      this.sum += input[i];
      this.count++;
      this.consumed++;
      if (this.consumed * this.outputRate >= (this.made + 1) * this.inputRate) {
        out[n++] = this.sum / this.count;
        this.sum = 0;
        this.count = 0;
        this.made++;
      }
    }
    return out.subarray(0, n);
  }

  private up(input: Float32Array): Float32Array {
    // Output positions are measured from the previous block's last sample (index -1 of this one).
    const out: number[] = [];
    while (this.position < input.length) {
      const at = this.position;
      const left = Math.floor(at);
      const frac = at - left;
      const a = left === 0 ? this.previous : input[left - 1];
      const b = input[left] ?? a;
      out.push(a + (b - a) * frac);
      this.position += this.ratio;
    }
    this.position -= input.length;
    if (input.length > 0) this.previous = input[input.length - 1];
    return Float32Array.from(out);
  }
}

/** Root mean square of `samples` (in [-1, 1]): 0 for an empty block. */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/** `samples` in [-1, 1] as 16-bit signed little-endian PCM (clipped; -1 → -32768, 1 → 32767). */
export function floatToPcm16(samples: Float32Array): ArrayBuffer {
  const buffer = new ArrayBuffer(samples.length * 2);
  const view = new DataView(buffer);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(i * 2, s < 0 ? Math.round(s * 32768) : Math.round(s * 32767), true);
  }
  return buffer;
}

/** 16-bit signed little-endian PCM as samples in [-1, 1) (a trailing odd byte is ignored). */
export function pcm16ToFloat(buffer: ArrayBuffer): Float32Array<ArrayBuffer> {
  const view = new DataView(buffer);
  const out = new Float32Array(Math.floor(buffer.byteLength / 2));
  for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

/** Seconds of 16-bit mono PCM in `bytes` bytes at `sampleRate` Hz (0 for a rate ≤ 0). */
export function pcm16Seconds(bytes: number, sampleRate: number): number {
  return sampleRate > 0 ? Math.floor(bytes / 2) / sampleRate : 0;
}

/**
 * The microphone level as a meter shows it, in [0, 1], from an RMS level in [0, 1]: decibels of
 * full scale mapped linearly from METER_FLOOR_DB (and below: 0) to 0 dBFS (1), as audio meters
 * do, so that speech (about -30 to -10 dBFS) fills most of the bar and room noise little of it.
 */
export function meterLevel(level: number): number {
  if (!(level > 0)) return 0;
  const db = 20 * Math.log10(Math.min(level, 1));
  return Math.max(0, Math.min(1, (db - METER_FLOOR_DB) / -METER_FLOOR_DB));
}

/** The quietest level the meter shows, in dBFS. */
export const METER_FLOOR_DB = -60;
