/**
 * How a voice call's speech is paid for: the `SpeechMeter` a transcriber asks before it spends
 * (admission against the payer's budgets, through the gate) and tells after (the ledger, source
 * `voice`), and a wrapper that meters a streaming recogniser (Workers AI's Flux or Nova-3), which
 * hears all the audio of a call and bills it by the second. The meter itself is the voice actor's
 * (it knows who pays and tells the client when a budget refuses).
 */
import type { SpeechKind } from "./catalog.ts";
import type { Transcriber, TranscriberSession, TranscriberSessionOptions } from "./voice-sdk.ts";
import { pcmSeconds } from "./wav.ts";
import type { CallStatus } from "../usage.ts";

/** An admitted speech call, to settle (what it used) or release (it was not made). */
export interface SpeechCharge {
  /** Records the call: `quantity` of its unit used (default: what was admitted), its status and its latency (ms). */
  settle(outcome: { status: CallStatus; latencyMs: number; quantity?: number }): Promise<void>;
  /** Drops the admission of a call that was not made. */
  release(): Promise<void>;
}

/** Admits and records the speech calls of one voice call's payer. */
export interface SpeechMeter {
  /**
   * Asks to spend `quantity` units of `kind` (seconds of audio to recognise, characters to
   * speak). Returns the charge, or null when the payer's budget or payer mode refuses it (the
   * meter has told the client why).
   */
  begin(kind: SpeechKind, quantity: number): Promise<SpeechCharge | null>;
  /** Records `quantity` units of `kind` already used without asking first (audio a streaming recogniser heard). Never throws. */
  record(kind: SpeechKind, quantity: number): Promise<void>;
}

/**
 * `inner`, metered: each session counts the seconds of PCM16 mono 16 kHz audio fed to it; at
 * each utterance it asks `meter` for the seconds heard since the last one (admitted: recorded at
 * once, and the utterance goes on; refused: recorded all the same, as the recogniser has heard
 * them, and the utterance is dropped); at close it records what is left unpaid. Everything else
 * passes through.
 */
export function meteredTranscriber(inner: Transcriber, meter: SpeechMeter): Transcriber {
  return {
    createSession(options?: TranscriberSessionOptions): TranscriberSession {
      let unpaidBytes = 0;
      /** Utterances are charged one after another, in the order they came. */
      let queue: Promise<void> = Promise.resolve();
      const takeUnpaid = () => {
        const seconds = pcmSeconds(unpaidBytes);
        unpaidBytes = 0;
        return seconds;
      };
      const session = inner.createSession({
        ...options,
        onUtterance: (transcript) => {
          const seconds = takeUnpaid();
          queue = queue
            .then(async () => {
              const charge = await meter.begin("transcription", seconds);
              if (!charge) {
                // Refused: the turn does not go on, but the recogniser has heard that audio.
                await meter.record("transcription", seconds);
                return;
              }
              await charge.settle({ status: "ok", latencyMs: 0 });
              options?.onUtterance?.(transcript);
            })
            .catch((error: unknown) => console.error(`voice: metering an utterance failed: ${error instanceof Error ? error.message : String(error)}`));
        },
      });
      return {
        feed(chunk) {
          unpaidBytes += chunk.byteLength;
          session.feed(chunk);
        },
        ...(session.waitUntilReady ? { waitUntilReady: () => session.waitUntilReady!() } : {}),
        ...(session.updateAgentContext ? { updateAgentContext: (text: string) => session.updateAgentContext!(text) } : {}),
        close() {
          session.close();
          const seconds = takeUnpaid();
          if (seconds > 0) queue = queue.then(() => meter.record("transcription", seconds));
        },
      };
    },
  };
}
