/**
 * WAV files for the voice pipeline (src/models/speech/wav.ts): the canonical 44-byte header
 * around PCM16 mono 16 kHz, reading a server's WAV (placeholder lengths, extra chunks), and
 * repairing it to exact lengths.
 */
import { describe, expect, it } from "vitest";
import { encodeWav, normalizeWav, parseWav, pcmSeconds, WAV_HEADER_BYTES, WavFormatError } from "../../src/models/speech/wav.ts";

const ascii = (bytes: Uint8Array, offset: number) => String.fromCharCode(...bytes.subarray(offset, offset + 4));

/** A WAV built by hand: `chunks` after "RIFF" <riffSize> "WAVE". */
function wav(riffSize: number, ...chunks: [string, number, Uint8Array][]): Uint8Array {
  const parts: number[] = [...Buffer.from("RIFF"), ...u32(riffSize), ...Buffer.from("WAVE")];
  for (const [id, size, body] of chunks) parts.push(...Buffer.from(id), ...u32(size), ...body, ...(body.byteLength % 2 ? [0] : []));
  return new Uint8Array(parts);
}
function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return [...b];
}
function fmt(channels: number, rate: number, bits: number, tag = 1): Uint8Array {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return new Uint8Array(b);
}

describe("encodeWav", () => {
  it("writes the canonical header of PCM16 mono 16 kHz", () => {
    const pcm = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const file = encodeWav(pcm);
    expect(file.byteLength).toBe(WAV_HEADER_BYTES + 6);
    const view = new DataView(file.buffer);
    expect([ascii(file, 0), ascii(file, 8), ascii(file, 12), ascii(file, 36)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
    expect(view.getUint32(4, true)).toBe(36 + 6);
    expect([view.getUint16(20, true), view.getUint16(22, true), view.getUint32(24, true), view.getUint32(28, true), view.getUint16(32, true), view.getUint16(34, true)]).toEqual([1, 1, 16000, 32000, 2, 16]);
    expect(view.getUint32(40, true)).toBe(6);
    expect([...file.subarray(44)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("drops half a sample and takes another rate", () => {
    const file = encodeWav(new Uint8Array(5), 22050);
    expect(parseWav(file)).toMatchObject({ sampleRate: 22050, dataBytes: 4 });
  });
});

describe("parseWav", () => {
  it("reads what encodeWav wrote", () => {
    expect(parseWav(encodeWav(new Uint8Array(320)))).toEqual({ formatTag: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, fmtOffset: 20, fmtBytes: 16, dataOffset: 44, dataBytes: 320 });
  });

  it("takes a streaming writer's placeholder length as the rest of the file, and skips other chunks", () => {
    const file = wav(0xffffffff, ["fmt ", 16, fmt(1, 22050, 16)], ["LIST", 5, new Uint8Array(5)], ["data", 0xffffffff, new Uint8Array(100)]);
    expect(parseWav(file)).toMatchObject({ sampleRate: 22050, dataOffset: 12 + 24 + 14 + 8, dataBytes: 100 });
  });

  it("refuses what is not RIFF/WAVE or lacks its chunks", () => {
    expect(() => parseWav(new Uint8Array([1, 2, 3]))).toThrow(WavFormatError);
    expect(() => parseWav(new TextEncoder().encode("ID3 this is an mp3 file"))).toThrow(/not a RIFF\/WAVE/);
    expect(() => parseWav(wav(4, ["data", 2, new Uint8Array(2)]))).toThrow(/before the fmt/);
    expect(() => parseWav(wav(28, ["fmt ", 16, fmt(1, 16000, 16)]))).toThrow(/no data chunk/);
  });
});

describe("normalizeWav", () => {
  it("rewrites placeholder lengths to the real ones and drops other chunks", () => {
    // Five bytes of data (the helper's pad byte cut off): half a sample at the end.
    const file = wav(0xffffffff, ["fmt ", 16, fmt(1, 22050, 16)], ["LIST", 4, new Uint8Array(4)], ["data", 0xffffffff, new Uint8Array([9, 8, 7, 6, 5])]).slice(0, -1);
    const fixed = normalizeWav(file);
    const view = new DataView(fixed.buffer);
    expect(view.getUint32(4, true)).toBe(fixed.byteLength - 8);
    expect(parseWav(fixed)).toMatchObject({ sampleRate: 22050, dataOffset: 44, dataBytes: 4 });
    expect([...fixed.subarray(44)]).toEqual([9, 8, 7, 6]);
  });

  it("keeps float and extensible formats, refuses compressed ones", () => {
    expect(parseWav(normalizeWav(wav(0, ["fmt ", 16, fmt(1, 24000, 32, 3)], ["data", 8, new Uint8Array(8)])))).toMatchObject({ formatTag: 3, dataBytes: 8 });
    expect(() => normalizeWav(wav(0, ["fmt ", 16, fmt(1, 8000, 8, 7)], ["data", 8, new Uint8Array(8)]))).toThrow(/format 7/);
  });
});

describe("pcmSeconds", () => {
  it("counts PCM16 mono at 16 kHz by default", () => {
    expect(pcmSeconds(32_000)).toBe(1);
    expect(pcmSeconds(44_100 * 2, 44_100)).toBe(1);
  });
});
