/**
 * The voice panel's rules (src/ui/lib/voiceCall.ts): the socket's address, what a close means
 * (refused: unavailable; dropped: retried with backoff, then given up; 4003: final), the
 * sentences people read when voice or the microphone is unavailable, the status shown, and the
 * audio beside each reply (received, measured, playing, interrupted).
 */
import { describe, expect, it } from "vitest";
import {
  closeDecision,
  displayStatus,
  formatSeconds,
  isPlaying,
  latestReplyKey,
  latestVoiceSessionId,
  lineKey,
  MAX_VOICE_RECONNECTS,
  MicrophoneError,
  microphoneError,
  recordFrame,
  recordInterrupt,
  recordSeconds,
  unavailableMessage,
  voiceItems,
  voiceSocketUrl,
  type ReplyAudioLog,
  type VoiceLine,
} from "../../src/ui/lib/voiceCall.ts";

describe("the voice socket's address", () => {
  it("is the page's own origin, ws or wss as the page, with the project id as the room", () => {
    expect(voiceSocketUrl({ protocol: "http:", host: "127.0.0.1:8787" }, "prj_01ABC")).toBe("ws://127.0.0.1:8787/agents/tech-lead-voice/prj_01ABC");
    expect(voiceSocketUrl({ protocol: "https:", host: "sam.example" }, "prj_1")).toBe("wss://sam.example/agents/tech-lead-voice/prj_1");
    expect(voiceSocketUrl({ protocol: "https:", host: "sam.example" }, "a/b?c")).toBe("wss://sam.example/agents/tech-lead-voice/a%2Fb%3Fc");
  });
});

describe("closeDecision", () => {
  it("calls a socket the server never accepted refused: voice is unavailable, no retry", () => {
    expect(closeDecision(1006, "", false, 0)).toEqual({ action: "refused" });
    expect(closeDecision(1011, "", false, 0)).toEqual({ action: "refused" });
  });

  it("never reopens after an access change (4003), opened or not", () => {
    expect(closeDecision(4003, "access changed", true, 0)).toEqual({ action: "access-changed" });
    expect(closeDecision(4003, "", false, 0)).toEqual({ action: "access-changed" });
    expect(closeDecision(4001, "unauthenticated", true, 0)).toEqual({ action: "signed-out" });
  });

  it("retries a dropped call with doubling backoff up to 8 s, then gives up", () => {
    const delays = [0, 1, 2, 3, 4].map((n) => closeDecision(1006, "", true, n));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000].map((delayMs) => ({ action: "retry", delayMs })));
    expect(closeDecision(1006, "", true, MAX_VOICE_RECONNECTS)).toEqual({ action: "gave-up" });
  });

  it("takes a normal closure or a server's 4xxx code as the end of the call", () => {
    expect(closeDecision(1000, "", true, 0)).toEqual({ action: "ended", code: 1000, reason: "" });
    expect(closeDecision(4000, "over", true, 0)).toEqual({ action: "ended", code: 4000, reason: "over" });
  });
});

describe("what people read when the voice socket was refused", () => {
  it("says when the sign-in is the reason (GET /api/me answered 401)", () => {
    expect(unavailableMessage(401, JSON.stringify({ error: { code: "unauthorized", message: "a valid token is required" } }))).toBe(
      "Voice is unavailable: you are signed out. Sign in again to talk.",
    );
  });

  it("uses the server's error message for another refusal of the account", () => {
    const body = JSON.stringify({ error: { code: "account_suspended", message: "your account is suspended" } });
    expect(unavailableMessage(403, body)).toBe("Voice is unavailable: your account is suspended");
  });

  it("says the server did not accept it when the sign-in is fine, or nothing could be learnt", () => {
    const generic = "Voice is unavailable: the server did not accept the voice connection.";
    expect(unavailableMessage(200, JSON.stringify({ user: { id: "usr_1" } }))).toBe(generic);
    expect(unavailableMessage(502, "<html>bad gateway</html>")).toBe(generic);
    expect(unavailableMessage(403, JSON.stringify({ error: "nope" }))).toBe(generic);
    expect(unavailableMessage(null, null)).toBe(generic);
  });
});

describe("microphoneError", () => {
  const domError = (name: string, message = "m") => Object.assign(new Error(message), { name });

  it("tells a refusal, a missing device and a busy one apart (Media Capture's error names)", () => {
    expect(microphoneError(domError("NotAllowedError")).problem).toBe("denied");
    expect(microphoneError(domError("NotAllowedError")).message).toMatch(/refused.*Allow the microphone/);
    expect(microphoneError(domError("SecurityError")).problem).toBe("denied");
    expect(microphoneError(domError("NotFoundError")).problem).toBe("missing");
    expect(microphoneError(domError("NotReadableError", "in use")).message).toBe("The microphone is busy or failed: in use");
    expect(microphoneError("weird").message).toBe("Could not use the microphone: weird");
  });

  it("passes a MicrophoneError through", () => {
    const error = new MicrophoneError("unsupported", "no API");
    expect(microphoneError(error)).toBe(error);
  });
});

describe("displayStatus", () => {
  it("shows the phase until the call is live, then the tech lead's status — speaking while its reply still plays", () => {
    expect(displayStatus("connecting", "idle", false)).toBe("connecting");
    expect(displayStatus("unavailable", "idle", false)).toBe("unavailable");
    expect(displayStatus("live", "thinking", false)).toBe("thinking");
    expect(displayStatus("live", "listening", true)).toBe("speaking");
    expect(displayStatus("live", "idle", false)).toBe("listening");
  });
});

describe("each reply's audio", () => {
  const lines: VoiceLine[] = [
    { role: "user", text: "what is running", timestamp: 1000 },
    { role: "assistant", text: "Nothing yet.", timestamp: 2000 },
    { role: "user", text: "start the mission", timestamp: 9000 },
  ];
  const reply = lineKey(lines[1]);

  it("belongs to the latest reply of the transcript", () => {
    expect(reply).toBe("assistant-2000");
    expect(latestReplyKey(lines)).toBe(reply);
    expect(latestReplyKey(lines.slice(0, 1))).toBeNull();
  });

  it("counts frames and bytes, and plays for the decoded seconds queued one after another", () => {
    let log: ReplyAudioLog = {};
    log = recordFrame(log, reply, 4000);
    log = recordFrame(log, reply, 6000);
    log = recordSeconds(log, reply, 1.5, 10_000);
    log = recordSeconds(log, reply, 2, 10_500); // queued after the first: ends at 10 000 + 1 500 + 2 000
    expect(log[reply]).toEqual({ frames: 2, bytes: 10_000, seconds: 3.5, playingUntil: 13_500, interrupted: false });
    expect(isPlaying(log, 13_000)).toBe(true);
    expect(isPlaying(log, 13_500)).toBe(false);

    const playing = voiceItems(lines, log, 12_000);
    expect(playing.map((i) => i.audio?.state ?? null)).toEqual([null, "playing", null]);
    expect(voiceItems(lines, log, 14_000)[1].audio).toMatchObject({ state: "played", frames: 2, seconds: 3.5 });
  });

  it("marks a reply interrupted when stopped while it plays, and ignores later audio's playing time", () => {
    let log = recordSeconds(recordFrame({}, reply, 100), reply, 5, 0);
    log = recordInterrupt(log, reply, 2000);
    expect(log[reply]).toMatchObject({ interrupted: true, playingUntil: 2000 });
    log = recordSeconds(recordFrame(log, reply, 100), reply, 1, 2100);
    expect(log[reply]).toMatchObject({ frames: 2, seconds: 6, playingUntil: 2000 });
    expect(isPlaying(log, 2100)).toBe(false);
    expect(voiceItems(lines, log, 2100)[1].audio?.state).toBe("interrupted");
  });

  it("leaves a reply heard to its end as played when an interrupt comes later", () => {
    const log = recordSeconds(recordFrame({}, reply, 100), reply, 1, 0);
    expect(recordInterrupt(log, reply, 5000)).toBe(log);
    expect(voiceItems(lines, log, 5000)[1].audio?.state).toBe("played");
  });

  it("shows a reply with no audio as such", () => {
    expect(voiceItems(lines, {}, 0)[1].audio).toMatchObject({ state: "none", frames: 0 });
  });
});

describe("small helpers", () => {
  it("formats durations", () => {
    expect(formatSeconds(0.44)).toBe("0.4 s");
    expect(formatSeconds(12.4)).toBe("12 s");
    expect(formatSeconds(65)).toBe("1:05");
  });

  it("finds the newest voice session, whatever other kinds there are", () => {
    const sessions = [
      { id: "ses_a", kind: "voice", createdAt: "2026-01-01T00:00:00.000Z" },
      { id: "ses_b", kind: "chat", createdAt: "2026-03-01T00:00:00.000Z" },
      { id: "ses_c", kind: "voice", createdAt: "2026-02-01T00:00:00.000Z" },
      { id: "ses_d", kind: "someday-kind", createdAt: "2026-04-01T00:00:00.000Z" },
    ];
    expect(latestVoiceSessionId(sessions)).toBe("ses_c");
    expect(latestVoiceSessionId(sessions.filter((s) => s.kind !== "voice"))).toBeNull();
    expect(latestVoiceSessionId(undefined)).toBeNull();
  });
});
