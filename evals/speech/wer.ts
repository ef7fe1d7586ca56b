/**
 * The local recogniser's word error rate on the fixed set of spoken tech-lead requests
 * (requests.ts), for Debian's stock model and SAM's adapted one:
 *
 *   npx node evals/speech/wer.ts                                  # SAM's local recogniser
 *   npx node evals/speech/wer.ts --url http://127.0.0.1:8000/v1 [--model whisper-1]   # another server's
 *
 * (`npx node` runs the project's Node 22, which runs TypeScript; `node` works when it is 22.18+.)
 * Each request is spoken by espeak-ng through the service in each voice of EVAL_VOICES and
 * recognised under three conditions: `generic` (model `pocketsphinx-generic`: Debian's
 * `en-us.lm.bin` and full CMU dictionary), `adapted` (model `pocketsphinx`: the language model
 * and dictionary of src/speech/, no prompt) and `adapted + prompt` (the same with the example
 * project's task titles as `prompt`). Prints the WER per sentence and overall, and writes every
 * figure to `evals/speech/results/latest.json` (or `--out <file>`). The sentences are always
 * spoken by the local service (espeak-ng); with `--url`, another OpenAI-compatible server
 * (speaches, whisper.cpp's, LocalAI) recognises them instead, with `--model` (default
 * `whisper-1`) without and with the prompt (SAM_SPEECH_API_KEY is sent to it if set).
 * Exit code 0 when it ran, 1 on a failure. Takes about 45 seconds on 2 cores.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, resolve } from "node:path";
import { GENERIC_MODEL, startSpeechService, type RunningSpeechService } from "../../src/speech/server.ts";
import { detectSpeechTools, INSTALL_COMMAND } from "../../src/speech/tools.ts";
import { measureWer, percent, type CellResult, type Condition } from "./measure.ts";
import { EVAL_VOICES, PROJECT_PROMPT, SPOKEN_REQUESTS } from "./requests.ts";

/** The conditions compared (see the module comment). */
export const CONDITIONS: readonly Condition[] = [
  { name: "generic", model: GENERIC_MODEL },
  { name: "adapted", model: "pocketsphinx" },
  { name: "adapted + prompt", model: "pocketsphinx", prompt: PROJECT_PROMPT },
];

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function report(cells: CellResult[]): void {
  for (const voice of new Set(cells.map((c) => c.voice))) {
    const own = cells.filter((c) => c.voice === voice);
    process.stdout.write(`\nvoice ${voice}\n`);
    own[0].sentences.forEach((s, i) => {
      process.stdout.write(`  ${s.reference}\n`);
      for (const cell of own) {
        const r = cell.sentences[i];
        process.stdout.write(`    ${pad(cell.condition, 17)} ${pad(percent(r.wer), 7)} ${r.hypothesis || "(nothing)"}\n`);
      }
    });
  }
  process.stdout.write(`\n${pad("voice", 13)} ${pad("condition", 17)} ${pad("WER", 7)} ${pad("errors/words", 13)} S/D/I       p50 latency\n`);
  for (const c of cells) {
    const t = c.total;
    process.stdout.write(`${pad(c.voice, 13)} ${pad(c.condition, 17)} ${pad(percent(t.wer), 7)} ${pad(`${t.errors}/${t.referenceWords}`, 13)} ${pad(`${t.substitutions}/${t.deletions}/${t.insertions}`, 11)} ${Math.round(c.latencyP50Ms)} ms\n`);
  }
}

async function main(): Promise<void> {
  const given = argValue("--url");
  const out = resolve(argValue("--out") ?? resolve(import.meta.dirname, "results", "latest.json"));
  const tools = detectSpeechTools();
  if (!tools.available) {
    process.stderr.write(`missing ${tools.missing.join(", ")}; install with: ${INSTALL_COMMAND}\n`);
    process.exit(1);
  }
  const service: RunningSpeechService = await startSpeechService({ port: 0, log: (line) => process.stderr.write(`${line}\n`) });
  const model = argValue("--model") ?? "whisper-1";
  const conditions: readonly Condition[] = given
    ? [
        { name: model, model },
        { name: `${model} + prompt`, model, prompt: PROJECT_PROMPT },
      ]
    : CONDITIONS;
  const started = Date.now();
  try {
    const cells = await measureWer({
      baseUrl: `${service.url}/v1`,
      transcriptionBaseUrl: given?.replace(/\/+$/, ""),
      transcriptionApiKey: process.env.SAM_SPEECH_API_KEY || undefined,
      sentences: SPOKEN_REQUESTS,
      voices: EVAL_VOICES,
      conditions,
    });
    report(cells);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          server: given ?? "local (src/speech, started by this script)",
          machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown" },
          elapsedMs: Date.now() - started,
          summary: cells.map((c) => ({ voice: c.voice, condition: c.condition, wer: c.total.wer, errors: c.total.errors, referenceWords: c.total.referenceWords, latencyP50Ms: Math.round(c.latencyP50Ms) })),
          cells,
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`\nwritten to ${out}\n`);
  } finally {
    await service.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`wer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
