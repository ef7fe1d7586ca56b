/**
 * "Speech" that tests can write and a fake recogniser can read back exactly: text encoded as
 * PCM16 mono 16 kHz audio loud enough for the utterance detector (src/models/speech/utterance.ts)
 * to hear as speech. Plain TypeScript with no `node:` import, so the Workers-runtime tests
 * (which send it) and the fake speech server in Node (which reads it) share it.
 *
 * Layout: PREAMBLE_MS of a marker tone at PREAMBLE_AMPLITUDE, then per UTF-8 byte `b` one
 * 10 ms block whose samples alternate in sign at amplitude 4000 + 40·b (4,000–14,200, RMS at
 * least 0.12 of full scale); silence (|sample| < 2000) ends it.
 */

/** Samples per second. */
export const SAMPLE_RATE = 16_000;
/** Samples of one byte's block (10 ms). */
const BLOCK = 160;
/** The marker tone's length (ms): longer than the detector's 120 ms start, so even one character is heard. */
const PREAMBLE_MS = 200;
/** The marker tone's amplitude, above every byte's. */
const PREAMBLE_AMPLITUDE = 16_000;

/** `text` as spoken PCM16 little-endian (see the module's comment). */
export function spokenPcm(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const preamble = (SAMPLE_RATE * PREAMBLE_MS) / 1000;
  const samples = new Int16Array(preamble + bytes.length * BLOCK);
  for (let i = 0; i < preamble; i++) samples[i] = i % 2 === 0 ? PREAMBLE_AMPLITUDE : -PREAMBLE_AMPLITUDE;
  bytes.forEach((b, k) => {
    const amplitude = 4000 + 40 * b;
    for (let i = 0; i < BLOCK; i++) samples[preamble + k * BLOCK + i] = i % 2 === 0 ? amplitude : -amplitude;
  });
  return new Uint8Array(samples.buffer);
}

/** `ms` of silence as PCM16. */
export function silencePcm(ms: number): Uint8Array {
  return new Uint8Array(Math.round((SAMPLE_RATE * ms) / 1000) * 2);
}

/** The text of spoken PCM (`spokenPcm`), read from the first loud sample; "" when there is none. */
export function readSpokenPcm(pcm: Uint8Array): string {
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength - (pcm.byteLength % 2));
  const count = view.byteLength / 2;
  const at = (i: number) => Math.abs(view.getInt16(i * 2, true));
  let i = 0;
  while (i < count && at(i) < 2000) i++;
  while (i < count && at(i) >= PREAMBLE_AMPLITUDE - 100) i++;
  const bytes: number[] = [];
  for (; i + BLOCK <= count; i += BLOCK) {
    const level = at(i + BLOCK / 2);
    if (level < 2000) break;
    bytes.push(Math.round((level - 4000) / 40));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** `pcm` cut into frames of `ms` (default 20 ms, 640 bytes), as a client streams it. */
export function pcmFrames(pcm: Uint8Array, ms = 20): Uint8Array[] {
  const size = Math.round((SAMPLE_RATE * ms) / 1000) * 2;
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < pcm.byteLength; offset += size) frames.push(pcm.slice(offset, offset + size));
  return frames;
}
