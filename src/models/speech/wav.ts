/**
 * WAV (RIFF/WAVE) files as the voice pipeline needs them: wrapping the PCM the voice protocol
 * carries (16-bit little-endian, mono, 16 kHz) in a 44-byte canonical header for a recogniser,
 * and reading and repairing the WAV a speech server answers. Pure.
 *
 * The layout is Microsoft's RIFF WAVE format: "RIFF" <size> "WAVE", then chunks of a 4-byte id
 * and a 4-byte little-endian length, padded to an even length; `fmt ` (format tag, channels,
 * sample rate, byte rate, block align, bits per sample) must come before `data`.
 */

/** Sample rate of the voice protocol's PCM (Hz): the Agents SDK's binary frames are PCM16 mono at 16 kHz. */
export const PCM_SAMPLE_RATE = 16_000;
/** Bytes per sample of that PCM (16-bit). */
export const PCM_BYTES_PER_SAMPLE = 2;
/** Length of a canonical WAV header (RIFF header, `fmt ` chunk of 16 bytes, `data` chunk header). */
export const WAV_HEADER_BYTES = 44;

/** WAVE format tags SAM passes on: integer PCM, IEEE float, and WAVE_FORMAT_EXTENSIBLE (which wraps either). */
const PLAYABLE_FORMATS = new Set([1, 3, 0xfffe]);

/** A WAV file that cannot be read: not RIFF/WAVE, no `fmt ` or `data` chunk, or a format SAM does not pass on. */
export class WavFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WavFormatError";
  }
}

/** What a WAV file holds: its format and where its samples are. */
export interface WavInfo {
  /** WAVE format tag: 1 integer PCM, 3 IEEE float, 0xFFFE extensible. */
  formatTag: number;
  channels: number;
  /** Samples per second per channel (Hz). */
  sampleRate: number;
  bitsPerSample: number;
  /** Byte offset of the `fmt ` chunk's body, and its length. */
  fmtOffset: number;
  fmtBytes: number;
  /** Byte offset of the samples, and how many bytes of them the file really has. */
  dataOffset: number;
  dataBytes: number;
}

/** Seconds of audio in `bytes` of PCM16 mono at `sampleRate` Hz (default the protocol's 16 kHz). */
export function pcmSeconds(bytes: number, sampleRate = PCM_SAMPLE_RATE): number {
  return bytes / (PCM_BYTES_PER_SAMPLE * sampleRate);
}

/**
 * Wraps PCM16 little-endian samples (`channels` interleaved, `sampleRate` Hz; default mono 16
 * kHz) in a canonical 44-byte WAV header. Returns the whole file. An odd trailing byte (half a
 * sample) is dropped.
 */
export function encodeWav(pcm: Uint8Array, sampleRate = PCM_SAMPLE_RATE, channels = 1): Uint8Array<ArrayBuffer> {
  const dataBytes = pcm.byteLength - (pcm.byteLength % 2);
  const file = new Uint8Array(WAV_HEADER_BYTES + dataBytes);
  const view = new DataView(file.buffer);
  writeTag(file, 0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  writeTag(file, 8, "WAVE");
  writeTag(file, 12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * PCM_BYTES_PER_SAMPLE, true);
  view.setUint16(32, channels * PCM_BYTES_PER_SAMPLE, true);
  view.setUint16(34, 8 * PCM_BYTES_PER_SAMPLE, true);
  writeTag(file, 36, "data");
  view.setUint32(40, dataBytes, true);
  file.set(pcm.subarray(0, dataBytes), WAV_HEADER_BYTES);
  return file;
}

/**
 * Reads a WAV file's format and where its samples are. A `data` length larger than the file (a
 * streaming writer's placeholder, e.g. 0xFFFFFFFF) is taken as "to the end of the file".
 * Unknown chunks (`LIST`, `fact`, ...) are skipped.
 * @throws WavFormatError when it is not RIFF/WAVE or lacks a `fmt ` chunk before a `data` chunk.
 */
export function parseWav(bytes: Uint8Array): WavInfo {
  if (bytes.byteLength < 12 || readTag(bytes, 0) !== "RIFF" || readTag(bytes, 8) !== "WAVE") throw new WavFormatError("not a RIFF/WAVE file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 12;
  let fmt: Omit<WavInfo, "dataOffset" | "dataBytes"> | null = null;
  while (offset + 8 <= bytes.byteLength) {
    const id = readTag(bytes, offset);
    const declared = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === "fmt ") {
      if (declared < 16 || body + 16 > bytes.byteLength) throw new WavFormatError("the fmt chunk is too short");
      fmt = {
        formatTag: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
        fmtOffset: body,
        fmtBytes: declared,
      };
    } else if (id === "data") {
      if (!fmt) throw new WavFormatError("the data chunk comes before the fmt chunk");
      return { ...fmt, dataOffset: body, dataBytes: Math.min(declared, bytes.byteLength - body) };
    }
    offset = body + declared + (declared % 2);
  }
  throw new WavFormatError(fmt ? "no data chunk" : "no fmt chunk");
}

/**
 * The WAV file a client can decode on its own: `bytes` rewritten as RIFF header, the original
 * `fmt ` chunk and one `data` chunk whose lengths are the real ones (a speech server that
 * streams its WAV writes placeholder lengths; other chunks are dropped). Returns the new file.
 * @throws WavFormatError when `bytes` is not a WAV of integer PCM, IEEE float or extensible
 *   format with at least one channel and a sample rate.
 */
export function normalizeWav(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const info = parseWav(bytes);
  if (!PLAYABLE_FORMATS.has(info.formatTag)) throw new WavFormatError(`WAVE format ${info.formatTag} is not PCM or float`);
  if (info.channels < 1 || info.sampleRate < 1 || info.bitsPerSample < 8) throw new WavFormatError("the fmt chunk names no channel, sample rate or sample size");
  const blockAlign = info.channels * (info.bitsPerSample / 8);
  const dataBytes = info.dataBytes - (info.dataBytes % blockAlign);
  const fmtPadded = info.fmtBytes + (info.fmtBytes % 2);
  const out = new Uint8Array(12 + 8 + fmtPadded + 8 + dataBytes);
  const view = new DataView(out.buffer);
  writeTag(out, 0, "RIFF");
  view.setUint32(4, out.byteLength - 8, true);
  writeTag(out, 8, "WAVE");
  writeTag(out, 12, "fmt ");
  view.setUint32(16, info.fmtBytes, true);
  out.set(bytes.subarray(info.fmtOffset, info.fmtOffset + info.fmtBytes), 20);
  const dataHeader = 20 + fmtPadded;
  writeTag(out, dataHeader, "data");
  view.setUint32(dataHeader + 4, dataBytes, true);
  out.set(bytes.subarray(info.dataOffset, info.dataOffset + dataBytes), dataHeader + 8);
  return out;
}

function writeTag(bytes: Uint8Array, offset: number, tag: string): void {
  for (let i = 0; i < 4; i++) bytes[offset + i] = tag.charCodeAt(i);
}

function readTag(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}
