/**
 * The socket's frame rate limit: the counting rule (countFrame in src/actors/project/frames.ts)
 * and ProjectSocket.admit over fake connections with a moved clock (a `rate_limited` error frame
 * per dropped frame, one log line per connection per window, connections counted apart).
 */
import type { Connection, ConnectionContext } from "agents";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeConnection } from "./fakes.ts";
import { countFrame, FRAME_RATE_LIMIT, type FrameWindow } from "../../src/actors/project/frames.ts";
import { ProjectSocket } from "../../src/actors/project/socket.ts";
import { USER_ID_HEADER, USER_NAME_HEADER } from "../../src/shared/protocol.ts";

describe("countFrame", () => {
  const limit = { maxFrames: 3, windowMs: 1000 };

  it("allows maxFrames frames in a window and refuses the rest, flagging the first refusal only", () => {
    let window: FrameWindow | undefined;
    const verdicts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const count = countFrame(window, 5000 + i, limit);
      window = count.window;
      verdicts.push(count.allowed ? "ok" : count.flood ? "flood" : "refused");
    }
    expect(verdicts).toEqual(["ok", "ok", "ok", "flood", "refused", "refused"]);
    expect(window).toEqual({ startedAtMs: 5000, frames: 6 });
  });

  it("starts a new window windowMs after the last one began, and when the clock went back", () => {
    const full: FrameWindow = { startedAtMs: 5000, frames: 10 };
    expect(countFrame(full, 5999, limit).allowed).toBe(false);
    expect(countFrame(full, 6000, limit)).toEqual({ window: { startedAtMs: 6000, frames: 1 }, allowed: true, flood: false });
    expect(countFrame(full, 4000, limit)).toEqual({ window: { startedAtMs: 4000, frames: 1 }, allowed: true, flood: false });
  });

  it("uses 300 frames per 10 s by default", () => {
    expect(FRAME_RATE_LIMIT).toEqual({ maxFrames: 300, windowMs: 10_000 });
    let window: FrameWindow | undefined;
    let allowed = 0;
    for (let i = 0; i < 370; i++) {
      const count = countFrame(window, 0);
      window = count.window;
      if (count.allowed) allowed++;
    }
    expect(allowed).toBe(300);
  });
});

function socketAt(connections: FakeConnection[]) {
  let nowMs = 1_000_000;
  const socket = new ProjectSocket({ connections: () => connections as unknown as Connection[], broadcast: () => {}, chatSend: async () => true, taskAnswer: async () => ({ ok: true }), history: async () => null, tasks: async () => [], scheduleExpiry: () => {}, stillAllowed: async () => true });
  socket.clock = () => nowMs;
  for (const c of connections) {
    socket.connect(c as unknown as Connection, { request: new Request("http://sam.test/", { headers: { [USER_ID_HEADER]: `usr_${c.id}`, [USER_NAME_HEADER]: c.id } }) } as ConnectionContext);
    c.sent = []; // (the `welcome` frame every connection gets first is not what these tests count)
  }
  return { socket, advance: (ms: number) => (nowMs += ms) };
}

describe("ProjectSocket.admit", () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers each frame over the limit with rate_limited, logs the flood once, and admits again in the next window", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const a = new FakeConnection("a");
    const { socket, advance } = socketAt([a]);
    const admitted = Array.from({ length: 370 }, () => socket.admit(a as unknown as Connection)).filter(Boolean).length;
    expect(admitted).toBe(300);
    expect(a.sent).toHaveLength(70);
    for (const frame of a.sent) expect(frame).toMatchObject({ type: "error", code: "rate_limited" });
    expect(a.sent[0].message).toBe("too many frames: at most 300 per 10 s per connection; this frame was dropped, send again in 10 s");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain("connection a (user usr_a) sent more than 300 frames in 10 s");
    advance(9_999);
    expect(socket.admit(a as unknown as Connection)).toBe(false);
    advance(1);
    expect(socket.admit(a as unknown as Connection)).toBe(true);
    // A second flood in the new window is logged once more.
    for (let i = 0; i < 310; i++) socket.admit(a as unknown as Connection);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("counts each connection apart, and forgets a closed one", () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    const { socket } = socketAt([a, b]);
    for (let i = 0; i < 300; i++) socket.admit(a as unknown as Connection);
    expect(socket.admit(a as unknown as Connection)).toBe(false);
    expect(socket.admit(b as unknown as Connection)).toBe(true);
    socket.close(a as unknown as Connection);
    expect(socket.admit(a as unknown as Connection)).toBe(true);
  });
});
