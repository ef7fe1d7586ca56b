/**
 * Which speech providers a voice call uses, from the Worker's configuration:
 *
 * 1. `SAM_SPEECH_BASE_URL` set: the OpenAI-compatible speech server there (openai-speech.ts) —
 *    SAM's local service under `npm start`, or any other (OpenAI, LocalAI, speaches,
 *    whisper.cpp's server). Its models and voice: `SAM_SPEECH_TRANSCRIPTION_MODEL` (default
 *    `whisper-1`), `SAM_SPEECH_TTS_MODEL` (default `tts-1`), `SAM_SPEECH_VOICE` (default
 *    `alloy`), OpenAI's names, which such servers accept or ignore; priced by `SAM_SPEECH_PRICES`
 *    (default free).
 * 2. Else the Workers AI binding `AI` (deployed): the Agents SDK's own providers —
 *    `WorkersAIFluxSTT` (`@cf/deepgram/flux`, the default, with its own end-of-turn detection) or
 *    `WorkersAINova3STT` (`SAM_SPEECH_TRANSCRIPTION_MODEL=@cf/deepgram/nova-3`), and
 *    `WorkersAITTS` (`@cf/deepgram/aura-1`, speaker `SAM_SPEECH_VOICE`, default `asteria`),
 *    asked for 16 kHz linear PCM in a WAV container instead of its default MP3 so every provider
 *    sends the client the same format.
 * 3. Else voice is unavailable, and a call says why.
 */
import { compatSpeechModel, workersAiSpeechModel, type SpeechModel } from "./catalog.ts";
import { meteredTranscriber, type SpeechMeter } from "./meter.ts";
import { OpenAICompatibleTranscriber, OpenAICompatibleTTS, speechApiBase, type OpenAISpeechConfig, type TranscriberHooks } from "./openai-speech.ts";
import { WorkersAIFluxSTT, WorkersAINova3STT, WorkersAITTS, type AiRunner, type Transcriber, type TTSProvider } from "./voice-sdk.ts";
import { PCM_SAMPLE_RATE } from "./wav.ts";

/** The configuration speech is chosen from: the Worker's speech settings (see `Env`), and the `AI` binding as far as speech uses it. */
export type SpeechVars = Partial<
  Pick<Env, "SAM_SPEECH_BASE_URL" | "SAM_SPEECH_API_KEY" | "SAM_SPEECH_TRANSCRIPTION_MODEL" | "SAM_SPEECH_TTS_MODEL" | "SAM_SPEECH_VOICE" | "SAM_SPEECH_PRICES">
> & { AI?: AiRunner };

/** What speech a call uses: the providers' configuration and the models they are metered as, or why there is none. */
export type SpeechSetup =
  | { kind: "openai-compatible"; config: OpenAISpeechConfig; transcription: SpeechModel; speech: SpeechModel }
  | { kind: "workers-ai"; ai: AiRunner; transcription: SpeechModel; speech: SpeechModel; speaker: string }
  | { kind: "unavailable"; reason: string };

/** Defaults of the OpenAI-compatible server's models and voice (OpenAI's names). */
export const OPENAI_SPEECH_DEFAULTS = { transcriptionModel: "whisper-1", speechModel: "tts-1", voice: "alloy" } as const;
/** Defaults of Workers AI's speech models and speaker. */
export const WORKERS_AI_SPEECH_DEFAULTS = { transcriptionModel: "@cf/deepgram/flux", speechModel: "@cf/deepgram/aura-1", speaker: "asteria" } as const;

/** The speech a call uses under `vars` (see the module's comment). Never throws: a bad setting makes voice unavailable, with the reason. */
export function speechSetup(vars: SpeechVars): SpeechSetup {
  if (vars.SAM_SPEECH_BASE_URL) {
    let baseUrl: string;
    try {
      baseUrl = speechApiBase(vars.SAM_SPEECH_BASE_URL);
    } catch (error) {
      return { kind: "unavailable", reason: `SAM_SPEECH_BASE_URL is not a usable URL: ${error instanceof Error ? error.message : String(error)}` };
    }
    const config: OpenAISpeechConfig = {
      baseUrl,
      apiKey: vars.SAM_SPEECH_API_KEY || undefined,
      transcriptionModel: vars.SAM_SPEECH_TRANSCRIPTION_MODEL || OPENAI_SPEECH_DEFAULTS.transcriptionModel,
      speechModel: vars.SAM_SPEECH_TTS_MODEL || OPENAI_SPEECH_DEFAULTS.speechModel,
      voice: vars.SAM_SPEECH_VOICE || OPENAI_SPEECH_DEFAULTS.voice,
    };
    return {
      kind: "openai-compatible",
      config,
      transcription: compatSpeechModel("transcription", config.transcriptionModel, vars.SAM_SPEECH_PRICES),
      speech: compatSpeechModel("speech", config.speechModel, vars.SAM_SPEECH_PRICES),
    };
  }
  if (vars.AI) {
    const transcription = workersAiSpeechModel(vars.SAM_SPEECH_TRANSCRIPTION_MODEL || WORKERS_AI_SPEECH_DEFAULTS.transcriptionModel);
    const speech = workersAiSpeechModel(vars.SAM_SPEECH_TTS_MODEL || WORKERS_AI_SPEECH_DEFAULTS.speechModel);
    if (!transcription || transcription.kind !== "transcription") return { kind: "unavailable", reason: `SAM_SPEECH_TRANSCRIPTION_MODEL names no Workers AI speech-to-text model SAM knows (@cf/deepgram/flux, @cf/deepgram/nova-3)` };
    if (!speech || speech.kind !== "speech") return { kind: "unavailable", reason: `SAM_SPEECH_TTS_MODEL names no Workers AI text-to-speech model SAM knows (@cf/deepgram/aura-1)` };
    return { kind: "workers-ai", ai: vars.AI, transcription, speech, speaker: vars.SAM_SPEECH_VOICE || WORKERS_AI_SPEECH_DEFAULTS.speaker };
  }
  return {
    kind: "unavailable",
    reason: "voice is not configured here: set SAM_SPEECH_BASE_URL to an OpenAI-compatible speech server (`npm start` starts a local one when espeak-ng and pocketsphinx are installed), or deploy with the Workers AI binding (AI)",
  };
}

/**
 * The AI binding as Aura is asked for speech SAM can send as WAV: every `run` gets `encoding:
 * linear16`, `container: wav` and `sample_rate: 16000` added to its input (Aura answers MP3
 * without them; the Agents SDK's `WorkersAITTS` does not set them).
 */
export function auraAsWav(ai: AiRunner): AiRunner {
  return {
    run: (model, input, options) => ai.run(model, { ...input, encoding: "linear16", container: "wav", sample_rate: PCM_SAMPLE_RATE }, options),
  };
}

/**
 * The transcriber of one call under `setup` (not `unavailable`), metered by `hooks.meter`: the
 * OpenAI-compatible one asks the meter before each utterance is posted; Workers AI's streaming
 * recognisers are wrapped by `meteredTranscriber` (charged per utterance for the audio heard).
 */
export function createTranscriber(setup: Exclude<SpeechSetup, { kind: "unavailable" }>, hooks: TranscriberHooks & { meter: SpeechMeter }): Transcriber {
  if (setup.kind === "openai-compatible") return new OpenAICompatibleTranscriber(setup.config, hooks);
  const inner = setup.transcription.name === "@cf/deepgram/nova-3" ? new WorkersAINova3STT(setup.ai) : new WorkersAIFluxSTT(setup.ai);
  return meteredTranscriber(inner, hooks.meter);
}

/** The text-to-speech provider under `setup` (not `unavailable`); its characters are metered by the actor (beforeSynthesize/afterSynthesize). */
export function createTts(setup: Exclude<SpeechSetup, { kind: "unavailable" }>): TTSProvider {
  if (setup.kind === "openai-compatible") return new OpenAICompatibleTTS(setup.config);
  return new WorkersAITTS(auraAsWav(setup.ai), { model: setup.speech.name, speaker: setup.speaker });
}
