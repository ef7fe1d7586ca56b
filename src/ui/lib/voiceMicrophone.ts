/**
 * The microphone of a voice call: `getUserMedia` (the browser's permission prompt), then SAM's
 * own AudioWorklet (src/ui/lib/voiceCaptureWorklet.ts, a same-origin script the strict CSP
 * allows) turning the capture into the voice protocol's 16 kHz PCM16 frames. It implements the
 * Agents SDK's `VoiceAudioInput` (its published interface: `start`, `stop`, `onAudioLevel`,
 * `onAudioData`), so the SDK's `VoiceClient` sends the frames and runs its silence and barge-in
 * detection on the levels, as with its built-in microphone.
 */
import type { VoiceAudioInput } from "agents/voice/client";
import workletUrl from "./voiceCaptureWorklet.ts?worker&url";
import { CAPTURE_PROCESSOR_NAME, type CaptureFrame } from "./voiceAudio.ts";
import { MicrophoneError, microphoneError } from "./voiceCall.ts";

/** The SDK's `VoiceAudioInput`, captured through SAM's worklet. One instance per call. */
export class WorkletMicrophone implements VoiceAudioInput {
  /** Set by the SDK's client: receives each frame's RMS level in [0, 1]. */
  onAudioLevel: ((rms: number) => void) | null = null;
  /** Set by the SDK's client: receives each frame (16 kHz mono PCM16 LE, 100 ms) to send. */
  onAudioData: ((pcm: ArrayBuffer) => void) | null = null;
  private context: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private node: AudioWorkletNode | null = null;
  /** Bumped by `stop`, so a `start` still waiting for the permission gives up. */
  private generation = 0;

  /**
   * Creates the capture's AudioContext now. Call it inside the click that starts the call:
   * browsers (Safari on phones above all) let audio start only from a person's gesture.
   */
  prepare(): void {
    if (this.context || typeof AudioContext === "undefined") return;
    this.context = new AudioContext();
  }

  /** Asks for the microphone and starts capturing; throws a MicrophoneError when it cannot. */
  async start(): Promise<void> {
    const generation = ++this.generation;
    if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === "undefined") {
      throw new MicrophoneError("unsupported", "This browser cannot capture the microphone here (it needs HTTPS and a current browser).");
    }
    this.prepare();
    const context = this.context;
    if (!context) throw new MicrophoneError("unsupported", "This browser has no Web Audio.");
    let stream: MediaStream;
    try {
      if (context.state === "suspended") await context.resume();
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      throw microphoneError(error);
    }
    if (generation !== this.generation) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.stream = stream;
    try {
      await context.audioWorklet.addModule(workletUrl);
      if (generation !== this.generation) return;
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, CAPTURE_PROCESSOR_NAME, {
        numberOfInputs: 1,
        numberOfOutputs: 1,
        channelCount: 1,
        processorOptions: { inputRate: context.sampleRate },
      });
      node.port.onmessage = (event: MessageEvent<CaptureFrame>) => {
        const { pcm, rms } = event.data;
        this.onAudioData?.(pcm);
        this.onAudioLevel?.(rms);
      };
      source.connect(node);
      // The processor writes no output; being connected keeps it pulled by the audio graph.
      node.connect(context.destination);
      this.source = source;
      this.node = node;
    } catch (error) {
      this.stop();
      throw microphoneError(error);
    }
  }

  /** Stops capturing and releases the microphone (the browser's recording indicator goes off). */
  stop(): void {
    this.generation++;
    if (this.node) {
      this.node.port.onmessage = null;
      this.node.disconnect();
    }
    this.source?.disconnect();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.node = null;
    this.source = null;
    this.stream = null;
    const context = this.context;
    this.context = null;
    if (context && context.state !== "closed") void context.close().catch(() => {});
  }
}
