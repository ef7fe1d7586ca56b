/**
 * SAM's one door to the Agents SDK's voice support (`agents/voice`, experimental: the version is
 * pinned exactly in package.json). Everything else in SAM imports the mixin, the provider
 * interfaces and the Workers AI providers from here, so an SDK change is met in one module.
 *
 * The SDK's wire protocol is the contract of `/agents/tech-lead-voice/<projectId>` (docs/api.md,
 * "Voice"): binary PCM16 mono 16 kHz frames and JSON `hello`, `start_call`, `end_call`,
 * `start_of_speech`, `end_of_speech`, `interrupt`, `text_message` in; JSON `welcome`, `status`,
 * `audio_config`, `transcript`, `transcript_start`, `transcript_delta`, `transcript_end`,
 * `transcript_interim`, `playback_interrupt`, `metrics`, `turn_metrics`, `completion_outcome`,
 * `error` and binary audio out.
 */
import type { VoiceAgentOptions } from "agents/voice";

export { withVoice, WorkersAIFluxSTT, WorkersAINova3STT, WorkersAITTS } from "agents/voice";
export type { TextSource, TranscriberSession, TranscriberSessionOptions, Transcriber, TTSProvider, VoiceTurnContext } from "agents/voice";

/**
 * The options of SAM's voice actor: every binary frame sent to a client is one whole WAV file
 * (the OpenAI-compatible providers answer WAV, and Workers AI's Aura is asked for WAV, see
 * providers.ts), so a client decodes each frame on its own whatever sample rate the provider
 * chose.
 */
export const SAM_VOICE_OPTIONS: VoiceAgentOptions = { audioFormat: "wav" };

/**
 * The slice of the Workers AI binding the SDK's providers use (`AI.run(model, input, options)`),
 * so tests can hand them a fake of the binding.
 */
export interface AiRunner {
  run(model: string, input: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}
