/**
 * What an uploaded audio file is, read from its bytes (never from its name or content type):
 * the container by its magic number, and for WAV (RIFF/WAVE, the EBU/Microsoft format) the
 * encoding, channels, sample rate and length from its `fmt ` and `data` chunks. Pure.
 */

/** Containers the service decodes (with sox): WAV, FLAC and Ogg (Vorbis). */
export type AudioContainer = "wav" | "flac" | "ogg";

/** A WAV file's format, from its header. */
export interface WavInfo {
  /** `pcm` (format tag 1), `float` (3), or another tag's number (e.g. 6: A-law, 7: µ-law). */
  encoding: "pcm" | "float" | number;
  channels: number;
  /** Samples per second of one channel (Hz). */
  sampleRate: number;
  bitsPerSample: number;
  /** Bytes of audio in the `data` chunk (as present in the file: a header that claims more is cut to what is there). */
  dataBytes: number;
  /** Seconds of audio: dataBytes / (channels · bitsPerSample/8 · sampleRate). */
  durationSeconds: number;
}

/** The audio of a file that cannot be used, with the reason (for a 400 answer). */
export class AudioFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AudioFormatError";
  }
}

/** The container of `bytes` by its first bytes (`RIFF....WAVE`, `fLaC`, `OggS`), or undefined for anything else. */
export function sniffContainer(bytes: Uint8Array): AudioContainer | undefined {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE") return "wav";
  if (bytes.length >= 4 && ascii(0, 4) === "fLaC") return "flac";
  if (bytes.length >= 4 && ascii(0, 4) === "OggS") return "ogg";
  return undefined;
}

/**
 * Reads a WAV file's `fmt ` and `data` chunks (WAVE_FORMAT_EXTENSIBLE's sub-format counts as the
 * format). Returns {@link WavInfo}.
 * @throws AudioFormatError when it is not RIFF/WAVE, has no `fmt ` or `data` chunk, or its
 *   format is impossible (no channels, no rate, no bits).
 */
export function parseWav(bytes: Uint8Array): WavInfo {
  if (sniffContainer(bytes) !== "wav") throw new AudioFormatError("not a WAV file (no RIFF/WAVE header)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let fmt: { tag: number; channels: number; sampleRate: number; bits: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > bytes.length) throw new AudioFormatError("the WAV fmt chunk is too short");
      let tag = view.getUint16(body, true);
      if (tag === 0xfffe && size >= 40 && body + 26 <= bytes.length) tag = view.getUint16(body + 24, true);
      fmt = { tag, channels: view.getUint16(body + 2, true), sampleRate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === "data") {
      if (!fmt) throw new AudioFormatError("the WAV data chunk comes before its fmt chunk");
      if (fmt.channels < 1 || fmt.sampleRate < 1 || fmt.bits < 1) throw new AudioFormatError("the WAV format has no channels, sample rate or sample size");
      // Streamed WAVs (espeak-ng --stdout, browsers) may claim 0 or 0xFFFFFFFF: what is there counts.
      const dataBytes = Math.min(size === 0 ? Number.MAX_SAFE_INTEGER : size, bytes.length - body);
      const frameBytes = fmt.channels * Math.ceil(fmt.bits / 8);
      return {
        encoding: fmt.tag === 1 ? "pcm" : fmt.tag === 3 ? "float" : fmt.tag,
        channels: fmt.channels,
        sampleRate: fmt.sampleRate,
        bitsPerSample: fmt.bits,
        dataBytes,
        durationSeconds: dataBytes / frameBytes / fmt.sampleRate,
      };
    }
    offset = body + size + (size % 2);
  }
  throw new AudioFormatError(fmt ? "the WAV file has no data chunk" : "the WAV file has no fmt chunk");
}

/**
 * A WAV file of PCM16 little-endian samples (`pcm`: the sample bytes as they are) at
 * `sampleRate` Hz with `channels` interleaved channels: the 44-byte canonical header, then the
 * data. Returns the file's bytes.
 */
export function pcm16Wav(pcm: Uint8Array, sampleRate: number, channels = 1): Uint8Array {
  const out = new Uint8Array(44 + pcm.length);
  const view = new DataView(out.buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  text(0, "RIFF");
  view.setUint32(4, 36 + pcm.length, true);
  text(8, "WAVE");
  text(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * 2, true);
  view.setUint16(32, channels * 2, true);
  view.setUint16(34, 16, true);
  text(36, "data");
  view.setUint32(40, pcm.length, true);
  out.set(pcm, 44);
  return out;
}

/**
 * The data chunk of a WAV that is already what the recogniser reads (PCM16 mono 16 kHz), as
 * 16-bit samples; undefined for any other format (which sox converts).
 */
export function pcm16MonoSamples(bytes: Uint8Array, sampleRate: number): Int16Array | undefined {
  const info = parseWav(bytes);
  if (info.encoding !== "pcm" || info.bitsPerSample !== 16 || info.channels !== 1 || info.sampleRate !== sampleRate) return undefined;
  // Find the data chunk again (parseWav reports its size, not where it starts).
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(offset, offset + 4));
    const size = view.getUint32(offset + 4, true);
    if (id === "data") return int16Samples(bytes.subarray(offset + 8, offset + 8 + info.dataBytes));
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

/** Little-endian PCM16 bytes as samples (a trailing odd byte is dropped); copies, so any alignment works. */
export function int16Samples(bytes: Uint8Array): Int16Array {
  const count = Math.floor(bytes.length / 2);
  const out = new Int16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * 2);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  return out;
}

/** Samples as little-endian PCM16 bytes. */
export function int16Bytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i], true);
  return out;
}

/** The peak level of `samples` in dBFS (0 is full scale, 32767); -Infinity for digital silence. */
export function peakDbfs(samples: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = Math.abs(samples[i]);
    if (v > peak) peak = v;
  }
  return peak === 0 ? -Infinity : 20 * Math.log10(peak / 32767);
}

/**
 * `samples` scaled so that their peak is at `targetDbfs` (e.g. -15), amplifying by at most
 * `maxGainDb` (quiet noise is not blown up without bound); attenuation is not limited. Returns
 * new samples (silence is returned as it is).
 */
export function scaleToPeak(samples: Int16Array, targetDbfs: number, maxGainDb = 30): Int16Array {
  const peak = peakDbfs(samples);
  if (peak === -Infinity) return samples.slice();
  const gainDb = Math.min(targetDbfs - peak, maxGainDb);
  const factor = 10 ** (gainDb / 20);
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i] * factor)));
  return out;
}
