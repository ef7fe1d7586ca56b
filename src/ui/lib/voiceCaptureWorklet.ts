/**
 * The microphone's AudioWorklet processor (CAPTURE_PROCESSOR_NAME): turns the captured samples into
 * the voice protocol's frames — 16 kHz mono 16-bit PCM, VOICE_FRAME_SAMPLES (100 ms) a frame —
 * and posts each to the page as `{pcm: ArrayBuffer, rms: number}` (the frame's RMS level in
 * [0, 1], for the level meter and the SDK's silence and barge-in detection).
 *
 * It is its own script, built by Vite (`?worker&url`) and served from SAM's origin, because the
 * UI's Content-Security-Policy (`script-src 'self'`) refuses the `blob:` module the SDK's
 * built-in microphone would load. The capture rate comes in `processorOptions.inputRate` (the
 * AudioContext's rate).
 */
import { CAPTURE_PROCESSOR_NAME, floatToPcm16, rms, Resampler, VOICE_FRAME_SAMPLES, VOICE_INPUT_RATE, type CaptureFrame } from "./voiceAudio.ts";

// The worklet scope's globals (TypeScript's DOM library does not declare them).
type WorkletScope = {
  AudioWorkletProcessor: new () => { readonly port: MessagePort };
  registerProcessor: (name: string, processor: new (options: { processorOptions?: { inputRate?: number } }) => unknown) => void;
};
const scope = globalThis as unknown as Partial<WorkletScope>;

if (scope.AudioWorkletProcessor && scope.registerProcessor) {
  const Base = scope.AudioWorkletProcessor;
  class CaptureProcessor extends Base {
    private readonly resampler: Resampler;
    private readonly frame = new Float32Array(VOICE_FRAME_SAMPLES);
    private filled = 0;

    constructor(options: { processorOptions?: { inputRate?: number } }) {
      super();
      this.resampler = new Resampler(options.processorOptions?.inputRate ?? VOICE_INPUT_RATE, VOICE_INPUT_RATE);
    }

    process(inputs: Float32Array[][]): boolean {
      const channel = inputs[0]?.[0];
      if (!channel) return true;
      const samples = this.resampler.push(channel);
      for (let i = 0; i < samples.length; i++) {
        this.frame[this.filled++] = samples[i];
        if (this.filled === VOICE_FRAME_SAMPLES) {
          const pcm = floatToPcm16(this.frame);
          const message: CaptureFrame = { pcm, rms: rms(this.frame) };
          this.port.postMessage(message, [pcm]);
          this.filled = 0;
        }
      }
      return true;
    }
  }
  scope.registerProcessor(CAPTURE_PROCESSOR_NAME, CaptureProcessor);
}
