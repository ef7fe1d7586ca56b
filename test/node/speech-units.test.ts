/**
 * The speech service's pure helpers: words as spoken, the word error rate, WAV headers and
 * levels, voices and speaking rates, and OpenAI error objects.
 */
import { describe, expect, it } from "vitest";
import { AudioFormatError, int16Bytes, int16Samples, parseWav, pcm16MonoSamples, pcm16Wav, peakDbfs, scaleToPeak, sniffContainer } from "../../src/speech/audio.ts";
import { SpeechApiError } from "../../src/speech/errors.ts";
import { espeakVoice, wordsPerMinute } from "../../src/speech/synthesiser.ts";
import { numberWords, phrases, spokenWords } from "../../src/speech/text.ts";
import { detectSpeechTools, INSTALL_COMMAND, onPath } from "../../src/speech/tools.ts";
import { totalWordErrors, wordErrors } from "../../src/speech/wer.ts";

describe("spoken words", () => {
  it("splits identifiers, spells numbers and drops punctuation", () => {
    expect(spokenWords("Please run create_task, then listTasks!")).toEqual(["please", "run", "create", "task", "then", "list", "tasks"]);
    expect(spokenWords("Don't retry task 42 (v2)")).toEqual(["don't", "retry", "task", "forty", "two", "v", "two"]);
    expect(spokenWords("HTTPServer on port 8080")).toEqual(["http", "server", "on", "port", "eight", "thousand", "eighty"]);
    expect(spokenWords("  ...  ")).toEqual([]);
  });

  it("spells integers as US speakers say them", () => {
    expect(numberWords("0")).toEqual(["zero"]);
    expect(numberWords("105")).toEqual(["one", "hundred", "five"]);
    expect(numberWords("12300")).toEqual(["twelve", "thousand", "three", "hundred"]);
    expect(numberWords("007")).toEqual(["zero", "zero", "seven"]);
    expect(numberWords("1234567")).toHaveLength(7);
  });

  it("splits a prompt into phrases", () => {
    expect(phrases("Tasks: Fix the login bug; Update the docs.\n• Dark mode")).toEqual([["tasks"], ["fix", "the", "login", "bug"], ["update", "the", "docs"], ["dark", "mode"]]);
  });
});

describe("word error rate", () => {
  it("counts substitutions, deletions and insertions against the reference", () => {
    expect(wordErrors("create a mission", "create a mission")).toMatchObject({ errors: 0, wer: 0, referenceWords: 3 });
    expect(wordErrors("create a mission", "create the mission")).toMatchObject({ substitutions: 1, deletions: 0, insertions: 0, wer: 1 / 3 });
    expect(wordErrors("create a mission now", "create mission")).toMatchObject({ substitutions: 0, deletions: 2, insertions: 0, wer: 0.5 });
    expect(wordErrors("fix it", "please fix it now")).toMatchObject({ insertions: 2, errors: 2, wer: 1 });
    expect(wordErrors("Fix the bug.", "fix THE bug")).toMatchObject({ errors: 0 });
    expect(wordErrors("", "")).toMatchObject({ wer: 0 });
    expect(wordErrors("", "noise")).toMatchObject({ wer: 1, insertions: 1 });
  });

  it("totals over sentences by words, not by averaging rates", () => {
    const total = totalWordErrors([wordErrors("a b c d e f g h i j", "a b c d e f g h i j"), wordErrors("yes", "no")]);
    expect(total).toMatchObject({ errors: 1, referenceWords: 11 });
    expect(total.wer).toBeCloseTo(1 / 11, 10);
  });
});

describe("audio", () => {
  const samples = new Int16Array([0, 1000, -2000, 32767, -32768, 5]);
  const wav = pcm16Wav(int16Bytes(samples), 16000);

  it("writes and reads canonical PCM16 WAV", () => {
    expect(sniffContainer(wav)).toBe("wav");
    expect(parseWav(wav)).toEqual({ encoding: "pcm", channels: 1, sampleRate: 16000, bitsPerSample: 16, dataBytes: 12, durationSeconds: 6 / 16000 });
    expect([...pcm16MonoSamples(wav, 16000)!]).toEqual([...samples]);
    expect(pcm16MonoSamples(pcm16Wav(int16Bytes(samples), 22050), 16000)).toBeUndefined();
    expect(parseWav(pcm16Wav(int16Bytes(samples), 44100, 2))).toMatchObject({ channels: 2, sampleRate: 44100, durationSeconds: 3 / 44100 });
  });

  it("tells containers by their bytes and refuses what is not WAV", () => {
    expect(sniffContainer(new TextEncoder().encode("fLaC...."))).toBe("flac");
    expect(sniffContainer(new TextEncoder().encode("OggS...."))).toBe("ogg");
    expect(sniffContainer(new TextEncoder().encode("ID3 mp3 data"))).toBeUndefined();
    expect(() => parseWav(new TextEncoder().encode("hello"))).toThrow(AudioFormatError);
    expect(() => parseWav(wav.subarray(0, 36))).toThrow(/no data chunk|no fmt chunk/);
  });

  it("reads a streamed WAV whose header claims more data than there is", () => {
    const streamed = wav.slice();
    new DataView(streamed.buffer).setUint32(40, 0xffffffff, true);
    expect(parseWav(streamed).dataBytes).toBe(12);
  });

  it("measures and normalises the peak level", () => {
    expect(peakDbfs(new Int16Array([0, 0]))).toBe(-Infinity);
    expect(peakDbfs(new Int16Array([32767]))).toBeCloseTo(0, 5);
    const quiet = new Int16Array([0, 1000, -500]);
    const scaled = scaleToPeak(quiet, -15);
    expect(peakDbfs(scaled)).toBeCloseTo(-15, 1);
    expect(scaled[2]).toBeCloseTo(-scaled[1] / 2, -1);
    expect(peakDbfs(scaleToPeak(new Int16Array([30000]), -15))).toBeCloseTo(-15, 1);
    // At most +30 dB for very quiet input.
    expect(peakDbfs(scaleToPeak(new Int16Array([3]), -15, 30))).toBeLessThan(-30);
    expect([...int16Samples(int16Bytes(samples))]).toEqual([...samples]);
  });
});

describe("voices and errors", () => {
  it("maps OpenAI voices to espeak-ng and takes espeak-ng voice names as they are", () => {
    expect(espeakVoice("alloy")).toBe("en-us+klatt");
    expect(espeakVoice("Fable")).toBe("en-gb");
    expect(espeakVoice("en-gb+f3")).toBe("en-gb+f3");
    expect(espeakVoice("--stdout")).toBeUndefined();
    expect(espeakVoice("en us")).toBeUndefined();
    expect(wordsPerMinute(1)).toBe(175);
    expect(wordsPerMinute(0.25)).toBe(80);
    expect(wordsPerMinute(4)).toBe(450);
  });

  it("answers errors as OpenAI's error objects", () => {
    expect(new SpeechApiError(400, "missing_file", "no file", "file").body()).toEqual({ error: { message: "no file", type: "invalid_request_error", param: "file", code: "missing_file" } });
    expect(new SpeechApiError(401, "invalid_api_key", "no").type).toBe("authentication_error");
    expect(new SpeechApiError(429, "too_many_requests", "busy").type).toBe("rate_limit_error");
    expect(new SpeechApiError(504, "recognition_timeout", "slow").type).toBe("server_error");
  });
});

describe("what is installed", () => {
  it("finds programs on PATH and reports a missing model by its package", () => {
    expect(onPath("sh", "/nonexistent:/bin:/usr/bin")).toBe(true);
    expect(onPath("sh", "/nonexistent")).toBe(false);
    const tools = detectSpeechTools("/nonexistent/model");
    expect(tools.available).toBe(false);
    expect(tools.missing).toContain("pocketsphinx-en-us");
    expect(INSTALL_COMMAND).toBe("sudo apt-get install -y espeak-ng pocketsphinx pocketsphinx-en-us sox");
  });
});
