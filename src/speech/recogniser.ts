/**
 * The local speech-to-text: Debian's `pocketsphinx_continuous` with the US English acoustic
 * model, run once per request on a prepared 16 kHz mono PCM16 WAV, with a language model and
 * dictionary adapted to what people say to SAM's tech lead.
 *
 * Why and how it is adapted (the measurements are in evals/speech/README.md): with Debian's
 * general English trigram model (`en-us.lm.bin`, 134,723-word dictionary) most words of a
 * spoken request come back wrong. Here the language model is a trigram model estimated from
 * `corpus.ts` (the requests, the tools' names, the words of software work, common English
 * words) plus, per request, the words and phrases of its `prompt` (task titles, mission goals),
 * so free phrasing stays possible but the project's vocabulary is expected. The dictionary holds
 * only that vocabulary, each word with its CMU pronunciations and espeak-ng's (mapped to
 * ARPAbet) when it differs; a word the CMU dictionary lacks ("vitest", "readme") gets espeak-ng's.
 * The audio's level is normalised first (peak at {@link TARGET_PEAK_DBFS}), which pocketsphinx's
 * front end needs: loud input is recognised markedly worse.
 */
import { createHash } from "node:crypto";
import { promises as fsp, readFileSync } from "node:fs";
import path from "node:path";
import { int16Bytes, int16Samples, pcm16MonoSamples, pcm16Wav, peakDbfs, scaleToPeak, sniffContainer } from "./audio.ts";
import { GENERAL_WORDS, TECH_LEAD_REQUESTS, TOOL_NAMES } from "./corpus.ts";
import { SpeechApiError } from "./errors.ts";
import { buildArpa } from "./language-model.ts";
import { runProcess } from "./process.ts";
import { dictionaryText, ipaToArpabet, parseCmuDict, type Pronunciations } from "./pronounce.ts";
import { phrases, spokenWords } from "./text.ts";
import { modelFiles, type ModelFiles } from "./tools.ts";

/** The sample rate pocketsphinx's en-us acoustic model was trained on (Hz). */
export const RECOGNISER_SAMPLE_RATE = 16_000;
/** Peak level (dBFS) the audio is scaled to before recognition (measured best between -18 and -12; evals/speech/README.md). */
export const TARGET_PEAK_DBFS = -15;
/** Audio whose peak is below this (dBFS) is taken as silence: the transcript is empty, pocketsphinx is not run. */
export const SILENCE_PEAK_DBFS = -50;
/** Count multiplier of a prompt's phrases in the corpus (they are what this request is most likely about). */
export const PROMPT_WEIGHT = 2;
/** Share of the unigram mass spread evenly over the vocabulary (`buildArpa`'s `uniformWeight`; 0.1 measured as good as 0.05–0.2). */
export const UNIFORM_WEIGHT = 0.1;
/** Most words of one prompt added to the vocabulary (the rest are ignored). */
export const MAX_PROMPT_WORDS = 300;
/** Adapted models kept for reuse (a voice call sends the same prompt with every utterance). */
const MODEL_CACHE_SIZE = 16;

/** Which language model a recognition uses. */
export type RecognitionModel = "adapted" | "generic";

/** Options of {@link Recogniser.create}. */
export interface RecogniserOptions {
  /** pocketsphinx's model directory (default Debian's, `tools.ts`). */
  modelDir?: string;
  /** A private directory for the adapted models (created if missing; the caller removes it). */
  workDir: string;
  /** Wall-clock limit of one pocketsphinx run in ms (default 120,000). */
  timeoutMs?: number;
  /** Further pocketsphinx arguments (decoder tuning, e.g. `["-lw", "10"]`; default {@link DECODER_ARGS}). */
  decoderArgs?: readonly string[];
}

/** pocketsphinx's decoder settings beyond the model files (its defaults unless a measurement said otherwise). */
export const DECODER_ARGS: readonly string[] = [];

/** One recognition's options. */
export interface TranscribeOptions {
  /** Words and phrases to expect (OpenAI's `prompt`): added to the adapted model for this request. */
  prompt?: string;
  /** `adapted` (default) or Debian's `generic` model (for comparison; the prompt is ignored). */
  model?: RecognitionModel;
  /** Aborting kills the recognition. */
  signal?: AbortSignal;
}

/** The files of one language model and its dictionary. */
interface ModelPaths {
  lm: string;
  dict: string;
}

/**
 * The pronunciations espeak-ng gives `words` (lower-case, letters and apostrophes), as ARPAbet.
 * One espeak-ng run for all (one word a line); a word it gives no usable phones for is absent.
 * Returns word → phones.
 */
export async function espeakPronunciations(words: readonly string[], timeoutMs = 20_000): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const safe = words.filter((w) => /^[a-z][a-z']*$/.test(w));
  if (safe.length === 0) return out;
  // A full stop after each word makes espeak-ng answer one line per word.
  const result = await runProcess({ command: "espeak-ng", args: ["-v", "en-us", "-q", "--ipa", "--sep=_", "--stdin"], input: safe.map((w) => `${w}.`).join("\n") + "\n", timeoutMs });
  if (result.code !== 0) throw new Error(`espeak-ng could not give pronunciations (exit ${result.code}): ${result.stderr.trim()}`);
  const lines = result.stdout.toString("utf8").split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== safe.length) {
    // The one-line-per-word reading failed (a word read as two clauses): ask word by word.
    for (const word of safe) {
      const one = await runProcess({ command: "espeak-ng", args: ["-v", "en-us", "-q", "--ipa", "--sep=_", "--stdin"], input: `${word}.\n`, timeoutMs });
      const phones = one.code === 0 ? ipaToArpabet(one.stdout.toString("utf8").replace(/\n/g, " ")) : undefined;
      if (phones) out.set(word, collapse(phones));
    }
    return out;
  }
  safe.forEach((word, i) => {
    const phones = ipaToArpabet(lines[i]);
    if (phones) out.set(word, collapse(phones));
  });
  return out;
}

/** espeak-ng writes rhotic vowels as ɚ/ɜː followed by ɹ: "ER R" is one ER in ARPAbet; doubled phones are one. */
function collapse(phones: string): string {
  return phones.replace(/\bER R\b/g, "ER").replace(/\b(\w+) \1\b/g, "$1");
}

/** The local recogniser: the adapted model, the pronunciations, and how to run pocketsphinx. */
export class Recogniser {
  private readonly files: ModelFiles;
  private readonly workDir: string;
  private readonly timeoutMs: number;
  private readonly decoderArgs: readonly string[];
  private readonly cmu: Pronunciations;
  /** espeak-ng's pronunciation of each word asked so far (null: none usable). */
  private readonly espeak = new Map<string, string | null>();
  private readonly models = new Map<string, Promise<ModelPaths>>();
  private baseModel!: ModelPaths;
  private baseVocabulary!: number;

  private constructor(options: RecogniserOptions) {
    this.files = modelFiles(options.modelDir);
    this.workDir = options.workDir;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.decoderArgs = options.decoderArgs ?? DECODER_ARGS;
    this.cmu = parseCmuDict(readFileSync(this.files.dict, "utf8"));
  }

  /**
   * Reads the CMU dictionary and builds the adapted base model into `workDir`. Returns the
   * recogniser.
   * @throws Error when the model files cannot be read or espeak-ng cannot run.
   */
  static async create(options: RecogniserOptions): Promise<Recogniser> {
    await fsp.mkdir(options.workDir, { recursive: true, mode: 0o700 });
    const recogniser = new Recogniser(options);
    recogniser.baseModel = await recogniser.buildModel("base", []);
    return recogniser;
  }

  /** Words in the base model's vocabulary. */
  get vocabularySize(): number {
    return this.baseVocabulary;
  }

  /** The corpus sentences of the base model: the requests and the tools' names, as spoken words. */
  private static baseSentences(): { words: string[]; weight?: number }[] {
    return [...TECH_LEAD_REQUESTS, ...TOOL_NAMES].map((s) => ({ words: spokenWords(s) }));
  }

  /** Pronunciations of `words`: the CMU dictionary's, plus espeak-ng's when it differs or is the only one. */
  private async pronunciations(words: Iterable<string>): Promise<Map<string, string[]>> {
    const list = [...new Set(words)];
    const ask = list.filter((w) => !this.espeak.has(w));
    if (ask.length > 0) {
      const found = await espeakPronunciations(ask);
      if (this.espeak.size > 50_000) this.espeak.clear();
      for (const w of ask) this.espeak.set(w, found.get(w) ?? null);
    }
    const out = new Map<string, string[]>();
    for (const w of list) {
      const prons = [...(this.cmu.get(w) ?? [])];
      const spoken = this.espeak.get(w);
      if (spoken && !prons.includes(spoken)) prons.push(spoken);
      if (prons.length > 0) out.set(w, prons);
    }
    return out;
  }

  /** Builds (and writes under workDir/`name`) the adapted model with `extra` sentences added to the corpus. */
  private async buildModel(name: string, extra: { words: string[]; weight?: number }[]): Promise<ModelPaths> {
    const sentences = [...Recogniser.baseSentences(), ...extra];
    const general = GENERAL_WORDS.flatMap((w) => spokenWords(w));
    const words = new Set<string>([...sentences.flatMap((s) => s.words), ...general]);
    const prons = await this.pronunciations(words);
    const exclude = new Set([...words].filter((w) => !prons.has(w)));
    const model = buildArpa({ sentences, extraWords: general, uniformWeight: UNIFORM_WEIGHT, exclude });
    const dir = path.join(this.workDir, name);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const paths = { lm: path.join(dir, "lm.arpa"), dict: path.join(dir, "words.dict") };
    await fsp.writeFile(paths.lm, model.arpa, { mode: 0o600 });
    await fsp.writeFile(paths.dict, dictionaryText(model.vocabulary, prons), { mode: 0o600 });
    if (name === "base") this.baseVocabulary = model.vocabulary.length;
    return paths;
  }

  /** The adapted model for `prompt`: the base one without a prompt, else built once per distinct prompt (kept for the last MODEL_CACHE_SIZE). */
  private modelFor(prompt: string | undefined): Promise<ModelPaths> {
    const extra = phrases(prompt ?? "");
    let budget = MAX_PROMPT_WORDS;
    const kept: string[][] = [];
    for (const words of extra) {
      if (budget <= 0) break;
      kept.push(words.slice(0, budget));
      budget -= words.length;
    }
    if (kept.length === 0) return Promise.resolve(this.baseModel);
    const key = createHash("sha256").update(kept.map((w) => w.join(" ")).join("\n")).digest("hex").slice(0, 24);
    const cached = this.models.get(key);
    if (cached) {
      // Most recently used last.
      this.models.delete(key);
      this.models.set(key, cached);
      return cached;
    }
    const built = this.buildModel(`p-${key}`, kept.map((words) => ({ words, weight: PROMPT_WEIGHT })));
    built.catch(() => this.models.delete(key));
    this.models.set(key, built);
    while (this.models.size > MODEL_CACHE_SIZE) {
      const [oldest, promise] = this.models.entries().next().value as [string, Promise<ModelPaths>];
      this.models.delete(oldest);
      void promise.then(() => fsp.rm(path.join(this.workDir, `p-${oldest}`), { recursive: true, force: true })).catch(() => {});
    }
    return built;
  }

  /**
   * Recognises `wavPath` (a WAV of PCM16 mono at {@link RECOGNISER_SAMPLE_RATE}, level already
   * normalised) and returns the transcript (lower-case words, one space between; "" for none).
   * @throws SpeechApiError 500 `recognition_failed` when pocketsphinx fails, 504
   *   `recognition_timeout` when it runs over the timeout, 499 `cancelled` when aborted.
   */
  async transcribeFile(wavPath: string, options: TranscribeOptions = {}): Promise<string> {
    const model: ModelPaths = options.model === "generic" ? { lm: this.files.lm, dict: this.files.dict } : await this.modelFor(options.prompt);
    const result = await runProcess({
      command: "pocketsphinx_continuous",
      args: ["-infile", wavPath, "-hmm", this.files.hmm, "-lm", model.lm, "-dict", model.dict, "-samprate", String(RECOGNISER_SAMPLE_RATE), "-logfn", "/dev/null", ...this.decoderArgs],
      timeoutMs: this.timeoutMs,
      maxOutputBytes: 1024 * 1024,
      signal: options.signal,
    });
    if (result.aborted) throw new SpeechApiError(499, "cancelled", "the request was cancelled");
    if (result.timedOut) throw new SpeechApiError(504, "recognition_timeout", `recognition took longer than ${this.timeoutMs} ms`);
    if (result.code !== 0) throw new SpeechApiError(500, "recognition_failed", `pocketsphinx failed (exit ${result.code ?? "killed"})`);
    return result.stdout.toString("utf8").split(/\s+/).filter((w) => w !== "").join(" ");
  }
}

/** Shortest audio recognised, in seconds (OpenAI refuses shorter: "Minimum audio length is 0.1 seconds"). */
export const MIN_AUDIO_SECONDS = 0.1;
/** Longest audio recognised, in seconds (20 minutes: bounds the CPU one request can take). */
export const MAX_AUDIO_SECONDS = 20 * 60;

/** What {@link transcribeAudio} returns. */
export interface Transcription {
  /** The transcript ("" for silence). */
  text: string;
  /** Length of the audio in seconds. */
  durationSeconds: number;
}

/**
 * Recognises an uploaded audio file (`bytes`: WAV of any PCM or float format, rate and channel
 * count, FLAC or Ogg Vorbis, told apart by their bytes): a PCM16 mono 16 kHz WAV is read as it
 * is, anything else is converted by sox (`-D`: no dither, so a result is repeatable); the level
 * is normalised; silence gives "" without running the recogniser. Temporary files go in `dir`
 * (the caller's private per-request directory, which it removes).
 * @throws SpeechApiError 400 `invalid_audio` (not audio the service reads), `audio_too_short`,
 *   `audio_too_long`; and what {@link Recogniser.transcribeFile} throws.
 */
export async function transcribeAudio(recogniser: Recogniser, bytes: Uint8Array, dir: string, options: TranscribeOptions & { timeoutMs?: number } = {}): Promise<Transcription> {
  const container = sniffContainer(bytes);
  if (!container) throw new SpeechApiError(400, "invalid_audio", "the file is not audio the service reads: send WAV (PCM16 mono 16 kHz is read directly), FLAC or Ogg Vorbis", "file");
  let samples: Int16Array | undefined;
  if (container === "wav") {
    try {
      samples = pcm16MonoSamples(bytes, RECOGNISER_SAMPLE_RATE);
    } catch (error) {
      throw new SpeechApiError(400, "invalid_audio", `the WAV file cannot be read: ${error instanceof Error ? error.message : String(error)}`, "file");
    }
  }
  if (!samples) {
    const input = path.join(dir, `input.${container}`);
    await fsp.writeFile(input, bytes, { mode: 0o600 });
    const maxBytes = MAX_AUDIO_SECONDS * RECOGNISER_SAMPLE_RATE * 2;
    const result = await runProcess({
      command: "sox",
      args: ["-q", "-D", "-t", container, input, "-t", "raw", "-r", String(RECOGNISER_SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-L", "-"],
      timeoutMs: options.timeoutMs ?? 60_000,
      maxOutputBytes: maxBytes,
      signal: options.signal,
    });
    if (result.aborted) throw new SpeechApiError(499, "cancelled", "the request was cancelled");
    if (result.overflow) throw new SpeechApiError(400, "audio_too_long", `the audio is longer than ${MAX_AUDIO_SECONDS} seconds`, "file");
    if (result.timedOut) throw new SpeechApiError(504, "conversion_timeout", "converting the audio took too long");
    if (result.code !== 0) throw new SpeechApiError(400, "invalid_audio", `the audio cannot be decoded: ${result.stderr.replace(/^sox FAIL \S+: /, "").trim() || `sox exit ${result.code}`}`, "file");
    samples = int16Samples(result.stdout);
  }
  const durationSeconds = samples.length / RECOGNISER_SAMPLE_RATE;
  if (durationSeconds < MIN_AUDIO_SECONDS) throw new SpeechApiError(400, "audio_too_short", `the audio is too short: at least ${MIN_AUDIO_SECONDS} seconds are needed`, "file");
  if (durationSeconds > MAX_AUDIO_SECONDS) throw new SpeechApiError(400, "audio_too_long", `the audio is longer than ${MAX_AUDIO_SECONDS} seconds`, "file");
  if (peakDbfs(samples) < SILENCE_PEAK_DBFS) return { text: "", durationSeconds };
  const wavPath = path.join(dir, "audio.wav");
  await fsp.writeFile(wavPath, pcm16Wav(int16Bytes(scaleToPeak(samples, TARGET_PEAK_DBFS)), RECOGNISER_SAMPLE_RATE), { mode: 0o600 });
  return { text: await recogniser.transcribeFile(wavPath, options), durationSeconds };
}
