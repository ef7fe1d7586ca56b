/**
 * The voice actor's `SpeechMeter` (src/models/speech/meter.ts) for one connection: each speech
 * call is admitted through the model gate against the payer's budgets and payer mode
 * (`beginSpeechCall`) and recorded in their ledger with source `voice`; a refusal is told to the
 * client as an `error` frame (its code, `budget_exceeded`, `credential_missing` or
 * `payer_mode_conflict`, and the gate's message), once per REFUSAL_REPEAT_MS for the same message
 * (a spent budget refuses every sentence of a reply; one frame says it).
 */
import { beginSpeechCall, BudgetExceededError, PayerModeError, recordSpeechUsage } from "../../models/gate.ts";
import type { CallContext } from "../../models/registry.ts";
import type { SpeechModel } from "../../models/speech/catalog.ts";
import type { SpeechMeter } from "../../models/speech/meter.ts";
import type { VoiceErrorCode } from "./frames.ts";

/** The same refusal is told at most once per this many ms: 5 s. */
export const REFUSAL_REPEAT_MS = 5_000;

/**
 * A meter of `models` (the call's transcription and speech models) for `context` (the payer and
 * project). `report` sends the client an error frame. Returns the meter.
 */
export function gateMeter(env: Env, context: CallContext, models: { transcription: SpeechModel; speech: SpeechModel }, report: (code: VoiceErrorCode, message: string) => void): SpeechMeter {
  let lastRefusal = { message: "", at: 0 };
  const refused = (code: VoiceErrorCode, message: string) => {
    const now = Date.now();
    if (message === lastRefusal.message && now - lastRefusal.at < REFUSAL_REPEAT_MS) return;
    lastRefusal = { message, at: now };
    report(code, message);
  };
  return {
    async begin(kind, quantity) {
      const model = kind === "transcription" ? models.transcription : models.speech;
      try {
        const call = await beginSpeechCall(env, context, model, quantity);
        return {
          settle: async (outcome) => {
            await call.settle({ quantity: outcome.quantity ?? quantity, status: outcome.status, latencyMs: outcome.latencyMs });
          },
          release: () => call.release(),
        };
      } catch (error) {
        if (error instanceof BudgetExceededError || error instanceof PayerModeError) {
          refused(error.code, error.message);
          return null;
        }
        throw error;
      }
    },
    async record(kind, quantity) {
      await recordSpeechUsage(env, context, kind === "transcription" ? models.transcription : models.speech, { quantity, status: "ok", latencyMs: 0 });
    },
  };
}
