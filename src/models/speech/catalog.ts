/**
 * The speech models SAM meters and their prices: speech-to-text priced per minute of audio,
 * text-to-speech per character, as the providers bill them (both prorated: a 12-second
 * utterance costs 12/60 of the per-minute price). The speech counterpart of the model catalog
 * (../catalog.ts), kept apart because its units are not tokens and none of these is a model a
 * task or the tech lead can be set to.
 *
 * Prices, in USD:
 *  - `@cf/deepgram/flux` on Workers AI: $0.0077 per audio minute over its WebSocket
 *    (developers.cloudflare.com/workers-ai/models/flux, "Unit Pricing").
 *  - `@cf/deepgram/nova-3` on Workers AI: $0.0092 per audio minute over WebSocket (Workers AI
 *    pricing page, developers.cloudflare.com/workers-ai/platform/pricing; $0.0052 over HTTP).
 *  - `@cf/deepgram/aura-1` on Workers AI: $0.015 per 1,000 characters of input (same page).
 *  - The OpenAI-compatible speech server (`SAM_SPEECH_BASE_URL`): local by default (SAM's own
 *    service), so 0, unless `SAM_SPEECH_PRICES` prices its models (for a paid server; OpenAI's
 *    list prices are $0.006 per minute for `whisper-1` and $15 per million characters for `tts-1`).
 */
import { z } from "zod";
import type { ModelProvider } from "../catalog.ts";
import type { SpeechUnit } from "../usage.ts";

/** `transcription` (speech-to-text, metered in seconds of audio) or `speech` (text-to-speech, metered in characters). */
export type SpeechKind = "transcription" | "speech";

/** One metered speech model. */
export interface SpeechModel {
  /** The ledger's model id: `workers-ai/@cf/...`, or `speech/<name>` for the OpenAI-compatible server. */
  id: string;
  /** The name the provider takes (`@cf/deepgram/flux`, `whisper-1`). */
  name: string;
  kind: SpeechKind;
  /** Who is paid, for the payer rule (payer-rules.ts): `workers-ai` is platform credit only; `compat` any mode. */
  provider: Extract<ModelProvider, "workers-ai" | "compat">;
  /** USD per minute of audio (transcription models). */
  usdPerMinute: number;
  /** USD per 1,000,000 characters of text (speech models). */
  usdPerMillionChars: number;
}

/** Workers AI's speech models SAM can use, priced (see the module's comment). */
export const WORKERS_AI_SPEECH_MODELS: readonly SpeechModel[] = [
  { id: "workers-ai/@cf/deepgram/flux", name: "@cf/deepgram/flux", kind: "transcription", provider: "workers-ai", usdPerMinute: 0.0077, usdPerMillionChars: 0 },
  { id: "workers-ai/@cf/deepgram/nova-3", name: "@cf/deepgram/nova-3", kind: "transcription", provider: "workers-ai", usdPerMinute: 0.0092, usdPerMillionChars: 0 },
  { id: "workers-ai/@cf/deepgram/aura-1", name: "@cf/deepgram/aura-1", kind: "speech", provider: "workers-ai", usdPerMinute: 0, usdPerMillionChars: 15 },
];

/** The Workers AI speech model named `name` (`@cf/deepgram/flux`), or null when SAM does not know it. */
export function workersAiSpeechModel(name: string): SpeechModel | null {
  return WORKERS_AI_SPEECH_MODELS.find((m) => m.name === name) ?? null;
}

/**
 * Prices of the OpenAI-compatible server's models (`SAM_SPEECH_PRICES`): JSON
 * `{"<model name>": {"perMinute"?: USD per audio minute, "perMillionChars"?: USD per million characters}}`.
 */
const speechPricesSchema = z.record(z.string(), z.object({ perMinute: z.number().nonnegative().optional(), perMillionChars: z.number().nonnegative().optional() }).strict());

/**
 * The OpenAI-compatible server's model `name` of `kind`, priced from `pricesJson`
 * (`SAM_SPEECH_PRICES`; absent or unreadable: free, the unreadable case logged). Its ledger id is
 * `speech/<name>`; its provider is `compat` (paid by no one's key).
 */
export function compatSpeechModel(kind: SpeechKind, name: string, pricesJson?: string): SpeechModel {
  let price: { perMinute?: number; perMillionChars?: number } | undefined;
  if (pricesJson) {
    try {
      price = speechPricesSchema.parse(JSON.parse(pricesJson))[name];
    } catch (error) {
      console.error(`SAM_SPEECH_PRICES is not valid ({"<model>": {"perMinute", "perMillionChars"}}); speech models cost 0: ${String(error)}`);
    }
  }
  return { id: `speech/${name}`, name, kind, provider: "compat", usdPerMinute: price?.perMinute ?? 0, usdPerMillionChars: price?.perMillionChars ?? 0 };
}

/** The unit `model` is metered in: seconds of audio for transcription, characters for speech. */
export function speechUnit(model: SpeechModel): SpeechUnit {
  return model.kind === "transcription" ? "audio_second" : "character";
}

/**
 * Cost in USD of `quantity` units of `model` (seconds of audio for a transcription model,
 * characters for a speech model), prorated: seconds / 60 × per-minute price, characters /
 * 1,000,000 × per-million price. Negative quantities count as 0.
 */
export function speechCostUsd(model: SpeechModel, quantity: number): number {
  const amount = Math.max(0, quantity);
  return model.kind === "transcription" ? (amount / 60) * model.usdPerMinute : (amount / 1_000_000) * model.usdPerMillionChars;
}
