/**
 * Measures a speech service's word error rate: each sentence is spoken by the service itself
 * (`POST /v1/audio/speech`, WAV, in each voice), then recognised (`POST
 * /v1/audio/transcriptions`) under each condition (a model name, with or without a prompt), and
 * compared with the sentence (src/speech/wer.ts: substitutions + deletions + insertions over
 * reference words, after normalising case and punctuation). Used by `wer.ts` (the full set) and
 * test/node/speech-wer.test.ts (a subset).
 */
import { totalWordErrors, wordErrors, type WordErrors } from "../../src/speech/wer.ts";

/** One way of recognising: the `model` sent and an optional `prompt`. */
export interface Condition {
  /** Shown in the report (`generic`, `adapted`, `adapted + prompt`). */
  name: string;
  model: string;
  prompt?: string;
}

/** What {@link measureWer} is asked to do. */
export interface MeasureRequest {
  /** The API base that speaks the sentences (SAM's local service), e.g. `http://127.0.0.1:8790/v1`. */
  baseUrl: string;
  apiKey?: string;
  /** The API base that recognises them, when another server is measured (default `baseUrl`). */
  transcriptionBaseUrl?: string;
  /** Its API key (default `apiKey` when it is `baseUrl`, none otherwise). */
  transcriptionApiKey?: string;
  sentences: readonly string[];
  /** Voices of `/v1/audio/speech` (espeak-ng names or OpenAI's). */
  voices: readonly string[];
  conditions: readonly Condition[];
}

/** One sentence's recognition under one voice and condition. */
export interface SentenceResult extends WordErrors {
  reference: string;
  hypothesis: string;
  /** Wall-clock time of the transcription request, ms. */
  latencyMs: number;
}

/** One voice × condition: per sentence and overall. */
export interface CellResult {
  voice: string;
  condition: string;
  sentences: SentenceResult[];
  /** Errors and reference words summed over the sentences; `wer` their ratio. */
  total: WordErrors;
  /** Median transcription latency, ms. */
  latencyP50Ms: number;
}

function headers(apiKey?: string): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** Speaks `text` in `voice` through the service. Returns the WAV bytes. @throws Error on an HTTP error. */
export async function speak(baseUrl: string, text: string, voice: string, apiKey?: string): Promise<Uint8Array> {
  const response = await fetch(`${baseUrl}/audio/speech`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers(apiKey) },
    body: JSON.stringify({ model: "espeak-ng", input: text, voice, response_format: "wav" }),
  });
  if (!response.ok) throw new Error(`speech ${response.status}: ${await response.text()}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Recognises `wav` through the service under `condition`. Returns the text. @throws Error on an HTTP error. */
export async function transcribe(baseUrl: string, wav: Uint8Array, condition: Condition, apiKey?: string): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(wav)], { type: "audio/wav" }), "request.wav");
  form.append("model", condition.model);
  if (condition.prompt) form.append("prompt", condition.prompt);
  const response = await fetch(`${baseUrl}/audio/transcriptions`, { method: "POST", headers: headers(apiKey), body: form });
  if (!response.ok) throw new Error(`transcription ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { text: string }).text;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs every sentence in every voice under every condition, one request at a time (so
 * latencies are not inflated by each other). Returns one {@link CellResult} per voice ×
 * condition, voices outermost.
 * @throws Error when the service answers an error.
 */
export async function measureWer(request: MeasureRequest): Promise<CellResult[]> {
  const cells: CellResult[] = [];
  for (const voice of request.voices) {
    const audio: Uint8Array[] = [];
    for (const sentence of request.sentences) audio.push(await speak(request.baseUrl, sentence, voice, request.apiKey));
    for (const condition of request.conditions) {
      const sentences: SentenceResult[] = [];
      for (let i = 0; i < request.sentences.length; i++) {
        const started = performance.now();
        const hypothesis = request.transcriptionBaseUrl
          ? await transcribe(request.transcriptionBaseUrl, audio[i], condition, request.transcriptionApiKey)
          : await transcribe(request.baseUrl, audio[i], condition, request.apiKey);
        const latencyMs = performance.now() - started;
        sentences.push({ reference: request.sentences[i], hypothesis, latencyMs, ...wordErrors(request.sentences[i], hypothesis) });
      }
      cells.push({ voice, condition: condition.name, sentences, total: totalWordErrors(sentences), latencyP50Ms: median(sentences.map((s) => s.latencyMs)) });
    }
  }
  return cells;
}

/** A percentage with one decimal (`12.5%`). */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
