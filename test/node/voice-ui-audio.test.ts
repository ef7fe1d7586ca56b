/**
 * The voice call's audio arithmetic (src/ui/lib/voiceAudio.ts) and the microphone's worklet
 * (src/ui/lib/voiceCaptureWorklet.ts, run here under stand-ins of the AudioWorklet scope's two
 * globals): what reaches the tech lead is 16 kHz PCM16 in 100 ms frames, at the right pitch and
 * level whatever the capture rate.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CAPTURE_PROCESSOR_NAME,
  floatToPcm16,
  meterLevel,
  pcm16Seconds,
  pcm16ToFloat,
  Resampler,
  rms,
  VOICE_FRAME_SAMPLES,
  type CaptureFrame,
} from "../../src/ui/lib/voiceAudio.ts";

/** `seconds` of a sine of `hz` at `rate`, amplitude `amp`. */
function sine(hz: number, rate: number, seconds: number, amp = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** Feeds `input` to `resampler` in blocks of `block` samples (as a worklet's 128) and joins the output. */
function resampleInBlocks(resampler: Resampler, input: Float32Array, block = 128): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < input.length; i += block) parts.push(resampler.push(input.subarray(i, i + block)));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The dominant frequency of `samples` at `rate`, from its zero crossings (Hz). */
function zeroCrossingHz(samples: Float32Array, rate: number): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i - 1] < 0 !== samples[i] < 0) crossings++;
  return (crossings / 2) * (rate / samples.length);
}

describe("Resampler", () => {
  it("turns 48 kHz into 16 kHz: a third of the samples, same pitch, same level", () => {
    const input = sine(440, 48_000, 1);
    const out = resampleInBlocks(new Resampler(48_000, 16_000), input);
    expect(out.length).toBe(16_000);
    expect(zeroCrossingHz(out, 16_000)).toBeGreaterThan(430);
    expect(zeroCrossingHz(out, 16_000)).toBeLessThan(450);
    expect(rms(out)).toBeCloseTo(rms(input), 2);
  });

  it("keeps its phase across blocks at a rate that is not a whole multiple (44.1 kHz)", () => {
    const input = sine(300, 44_100, 2);
    const inBlocks = resampleInBlocks(new Resampler(44_100, 16_000), input, 128);
    const atOnce = new Resampler(44_100, 16_000).push(input);
    expect(inBlocks.length).toBe(Math.floor((input.length * 16_000) / 44_100));
    expect(Array.from(inBlocks)).toEqual(Array.from(atOnce));
    expect(zeroCrossingHz(inBlocks, 16_000)).toBeGreaterThan(290);
    expect(zeroCrossingHz(inBlocks, 16_000)).toBeLessThan(310);
  });

  it("averages away what 16 kHz cannot carry (a tone above 8 kHz comes out much weaker)", () => {
    const high = resampleInBlocks(new Resampler(48_000, 16_000), sine(15_000, 48_000, 0.5));
    const speech = resampleInBlocks(new Resampler(48_000, 16_000), sine(500, 48_000, 0.5));
    expect(rms(high)).toBeLessThan(rms(speech) / 3);
  });

  it("upsamples 8 kHz by interpolating, twice the samples at the same pitch", () => {
    const out = resampleInBlocks(new Resampler(8_000, 16_000), sine(200, 8_000, 1), 100);
    expect(out.length).toBe(16_000);
    expect(zeroCrossingHz(out, 16_000)).toBeGreaterThan(195);
    expect(zeroCrossingHz(out, 16_000)).toBeLessThan(205);
  });

  it("refuses a rate that is not positive", () => {
    expect(() => new Resampler(0)).toThrow(RangeError);
    expect(() => new Resampler(48_000, -1)).toThrow(RangeError);
  });
});

describe("PCM16 and levels", () => {
  it("writes little-endian 16-bit samples, clipped, and reads them back", () => {
    const pcm = floatToPcm16(Float32Array.from([0, 1, -1, 0.5, 2, -3]));
    const view = new DataView(pcm);
    expect(pcm.byteLength).toBe(12);
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getInt16(i * 2, true))).toEqual([0, 32767, -32768, 16384, 32767, -32768]);
    const back = pcm16ToFloat(pcm);
    expect(back[2]).toBe(-1);
    expect(back[3]).toBeCloseTo(0.5, 3);
  });

  it("measures RMS and PCM16 duration", () => {
    expect(rms(new Float32Array(0))).toBe(0);
    expect(rms(Float32Array.from([0.5, -0.5, 0.5, -0.5]))).toBeCloseTo(0.5);
    expect(pcm16Seconds(32_000, 16_000)).toBe(1);
    expect(pcm16Seconds(3, 16_000)).toBe(1 / 16_000);
    expect(pcm16Seconds(100, 0)).toBe(0);
  });

  it("shows the level on a -60..0 dBFS scale: silence empty, speech most of the bar, full scale full", () => {
    expect(meterLevel(0)).toBe(0);
    expect(meterLevel(0.0005)).toBe(0); // -66 dBFS
    expect(meterLevel(0.001)).toBeCloseTo(0, 5); // -60 dBFS
    expect(meterLevel(0.1)).toBeCloseTo(2 / 3, 5); // -20 dBFS
    expect(meterLevel(1)).toBe(1);
    expect(meterLevel(4)).toBe(1);
    expect(meterLevel(Number.NaN)).toBe(0);
  });
});

describe("the microphone worklet", () => {
  type Processor = { port: { posted: CaptureFrame[] }; process(inputs: Float32Array[][]): boolean };
  let registered: { name: string; ctor: new (options: { processorOptions?: { inputRate?: number } }) => Processor } | null = null;
  const scope = globalThis as Record<string, unknown>;

  beforeAll(async () => {
    scope.AudioWorkletProcessor = class {
      readonly port = { posted: [] as CaptureFrame[], postMessage(message: CaptureFrame) { this.posted.push(message); } };
    };
    scope.registerProcessor = (name: string, ctor: NonNullable<typeof registered>["ctor"]) => {
      registered = { name, ctor };
    };
    await import("../../src/ui/lib/voiceCaptureWorklet.ts");
  });

  afterAll(() => {
    delete scope.AudioWorkletProcessor;
    delete scope.registerProcessor;
  });

  it("registers under the name the page asks for", () => {
    expect(registered?.name).toBe(CAPTURE_PROCESSOR_NAME);
  });

  it("posts 100 ms frames of 16 kHz PCM16 with their RMS, from 128-sample blocks at 48 kHz", () => {
    const processor = new registered!.ctor({ processorOptions: { inputRate: 48_000 } });
    const input = sine(440, 48_000, 0.25, 0.4);
    for (let i = 0; i < input.length; i += 128) expect(processor.process([[input.subarray(i, i + 128)]])).toBe(true);
    const frames = processor.port.posted;
    expect(frames).toHaveLength(2); // 4000 samples at 16 kHz: two whole frames of 1600
    for (const frame of frames) {
      expect(frame.pcm.byteLength).toBe(VOICE_FRAME_SAMPLES * 2);
      expect(frame.rms).toBeCloseTo(0.4 / Math.SQRT2, 2);
      expect(rms(pcm16ToFloat(frame.pcm))).toBeCloseTo(frame.rms, 3);
    }
    expect(zeroCrossingHz(pcm16ToFloat(frames[0].pcm), 16_000)).toBeGreaterThan(420);
    expect(zeroCrossingHz(pcm16ToFloat(frames[0].pcm), 16_000)).toBeLessThan(460);
  });

  it("keeps going with no input connected (an empty block)", () => {
    const processor = new registered!.ctor({ processorOptions: { inputRate: 44_100 } });
    expect(processor.process([[]])).toBe(true);
    expect(processor.process([])).toBe(true);
    expect(processor.port.posted).toHaveLength(0);
  });
});
