/**
 * The voice actor's pure rules: what a frame on the voice socket is and how many may come, who
 * may talk and as whom, the recogniser's vocabulary, the events of a voice turn between the two
 * actors, what an interrupted turn keeps, and that the tech lead answers a voice session.
 */
import { describe, expect, it } from "vitest";
import { connectionMatches, speakerOf, voiceRefusal } from "../../src/actors/voice/access.ts";
import { countVoiceFrame, MAX_AUDIO_FRAME_BYTES, parseVoiceFrame, VOICE_RATE_LIMIT, voiceErrorFrame } from "../../src/actors/voice/frames.ts";
import { projectVocabulary } from "../../src/actors/voice/vocabulary.ts";
import { interruptedText, interruptedTurnMessages } from "../../src/actors/tech-lead/interrupted.ts";
import { leadAnswers } from "../../src/actors/tech-lead/mention.ts";
import { decodeVoiceTurnEvents, encodeVoiceTurnEvent, voiceTurnRequestSchema, type VoiceTurnEvent } from "../../src/actors/tech-lead/voice-turn.ts";
import { missionViewSchema, taskViewSchema } from "../../src/shared/protocol.ts";

const grant = { id: "emb_1", name: "Visitor", capabilities: ["chat:read", "chat:write"] as ("chat:read" | "chat:write" | "tasks:read" | "tasks:write")[], sessionId: null, expiresAt: "2030-01-01T00:00:00.000Z", payerId: "usr_maker" };
const NOW = Date.parse("2029-01-01T00:00:00.000Z");

describe("voice frames", () => {
  it("passes audio of an even length up to 64 KiB and the SDK's control frames", () => {
    expect(parseVoiceFrame(new Uint8Array(640).buffer)).toEqual({ kind: "audio", bytes: 640 });
    expect(parseVoiceFrame(new Uint8Array(MAX_AUDIO_FRAME_BYTES))).toEqual({ kind: "audio", bytes: MAX_AUDIO_FRAME_BYTES });
    for (const frame of [{ type: "hello", protocol_version: 1 }, { type: "start_call", preferred_format: "wav" }, { type: "end_call" }, { type: "start_of_speech" }, { type: "end_of_speech" }, { type: "interrupt" }]) {
      expect(parseVoiceFrame(JSON.stringify(frame))).toEqual({ kind: "frame", frame });
    }
    expect(parseVoiceFrame(JSON.stringify({ type: "text_message", text: "  hi  ", extra: 1 }))).toEqual({ kind: "frame", frame: { type: "text_message", text: "hi" } });
  });

  it("answers everything else with an error and why", () => {
    expect(parseVoiceFrame("{oops")).toEqual({ kind: "error", code: "invalid_json", message: "the frame is not valid JSON" });
    for (const bad of [{ type: "dance" }, { type: "rpc", id: "1" }, { type: "cf_agent_state", state: {} }, { type: "text_message", text: 5 }, { type: "text_message", text: "   " }, { type: "start_call", preferred_format: "flac" }, [1, 2], "hello"]) {
      const decision = parseVoiceFrame(JSON.stringify(bad));
      expect(decision.kind, JSON.stringify(bad)).toBe("error");
      if (decision.kind === "error") expect(decision.code).toBe("invalid_frame");
    }
    expect(parseVoiceFrame(new Uint8Array(3))).toMatchObject({ kind: "error", code: "invalid_frame" });
    expect(parseVoiceFrame(new Uint8Array(0))).toMatchObject({ kind: "error", code: "invalid_frame" });
    expect(parseVoiceFrame(new Uint8Array(MAX_AUDIO_FRAME_BYTES + 2))).toMatchObject({ kind: "error", message: expect.stringContaining(`${MAX_AUDIO_FRAME_BYTES + 2}`) });
    expect(JSON.parse(voiceErrorFrame("forbidden", "no"))).toEqual({ type: "error", code: "forbidden", message: "no" });
  });

  it("counts frames and audio bytes per 10 s window", () => {
    let window = undefined as ReturnType<typeof countVoiceFrame>["window"] | undefined;
    const limit = { maxFrames: 3, maxAudioBytes: 1000, windowMs: 10_000 };
    const results: boolean[] = [];
    for (const bytes of [400, 400, 0, 0]) {
      const count = countVoiceFrame(window, bytes, 1000, limit);
      window = count.window;
      results.push(count.allowed);
    }
    expect(results).toEqual([true, true, true, false]);
    expect(countVoiceFrame(window, 0, 11_000, limit)).toEqual({ window: { startedAtMs: 11_000, frames: 1, audioBytes: 0 }, allowed: true });
    expect(countVoiceFrame({ startedAtMs: 0, frames: 1, audioBytes: 900 }, 200, 5, limit).allowed).toBe(false);
    expect(countVoiceFrame({ startedAtMs: 5000, frames: 99, audioBytes: 0 }, 0, 10, limit).allowed).toBe(true);
    expect(VOICE_RATE_LIMIT).toEqual({ maxFrames: 1000, maxAudioBytes: 640_000, windowMs: 10_000 });
  });
});

describe("who may talk, and as whom", () => {
  it("members and owners talk as themselves; viewers may not", () => {
    const member = { userId: "usr_a", userName: "Ada", role: "member" as const, tokenId: "tok_1" };
    expect(voiceRefusal(member, NOW)).toBeNull();
    expect(voiceRefusal({ role: "owner" }, NOW)).toBeNull();
    expect(voiceRefusal({ role: "viewer" }, NOW)).toBe("viewers may not talk to the tech lead");
    // A person's expiring token ends their talking at its expiry, not before.
    const expiring = { role: "member" as const, expiresAt: new Date(NOW + 60_000).toISOString() };
    expect(voiceRefusal(expiring, NOW)).toBeNull();
    expect(voiceRefusal(expiring, NOW + 60_000)).toBe("the token has expired");
    expect(speakerOf(member)).toEqual({ speaker: { id: "usr_a", name: "Ada" }, payer: { id: "usr_a", name: "Ada" }, leadTools: true, sessionId: null });
  });

  it("an embed's visitor talks with chat:write until it expires, paid by its maker, without tools, in its session", () => {
    const visitor = { userId: "emb_1", userName: "Visitor", role: "viewer" as const, tokenId: "emb_1", embed: { ...grant, sessionId: "ses_x" } };
    expect(voiceRefusal(visitor, NOW)).toBeNull();
    expect(voiceRefusal({ role: "viewer", embed: { ...grant, capabilities: ["chat:read"] } }, NOW)).toMatch(/may not write to the chat/);
    expect(voiceRefusal({ role: "viewer", embed: grant }, Date.parse(grant.expiresAt))).toBe("the embed token has expired");
    expect(speakerOf(visitor)).toEqual({ speaker: { id: "emb_1", name: "Visitor" }, payer: { id: "usr_maker", name: "Visitor" }, leadTools: false, sessionId: "ses_x" });
  });

  it("closes a user's sockets (their embeds' too) or a token's", () => {
    const member = { userId: "usr_a", userName: "Ada", role: "member" as const, tokenId: "tok_1" };
    const visitor = { userId: "emb_1", userName: "Visitor", role: "viewer" as const, tokenId: "emb_1", embed: { ...grant, payerId: "usr_a" } };
    expect(connectionMatches(member, { userId: "usr_a" })).toBe(true);
    expect(connectionMatches(visitor, { userId: "usr_a" })).toBe(true);
    expect(connectionMatches(member, { userId: "usr_b" })).toBe(false);
    expect(connectionMatches(member, { tokenId: "tok_1" })).toBe(true);
    expect(connectionMatches(member, { tokenId: "tok_2" })).toBe(false);
  });
});

describe("the recogniser's vocabulary", () => {
  it("takes missions' goals and task keys and tasks' first sentences, without repeats", () => {
    const now = "2029-01-01T00:00:00.000Z";
    const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
    const mission = missionViewSchema.parse({
      id: "msn_1",
      projectId: "prj_1",
      goal: "Add dark mode.",
      status: "running",
      tasks: [{ key: "theme_switch", prompt: "p", taskId: null, status: "pending", dependsOn: [], attempts: 0, error: null, usage }],
      maxConcurrent: 2,
      maxRetries: 1,
      summary: null,
      error: null,
      usage,
      createdAt: now,
      updatedAt: now,
    });
    const task = (prompt: string) => taskViewSchema.parse({ id: "tsk_1", projectId: "prj_1", status: "running", prompt, model: "scripted", steps: 0, summary: null, error: null, usage, changedFiles: [], createdAt: now, updatedAt: now });
    expect(projectVocabulary([mission], [task("Fix the login bug. Then run the tests."), task("add dark mode"), task("x".repeat(200))])).toBe(`Add dark mode. theme switch. Fix the login bug. ${"x".repeat(80)}`);
    expect(projectVocabulary([], [])).toBe("");
  });
});

describe("a voice turn between the actors", () => {
  it("parses its request", () => {
    const request = { turnId: "t1", speaker: { id: "usr_a", name: "Ada" }, payer: { id: "usr_a", name: "Ada" }, leadTools: true, sessionId: null, text: " hello " };
    expect(voiceTurnRequestSchema.parse(request).text).toBe("hello");
    expect(voiceTurnRequestSchema.safeParse({ ...request, text: "" }).success).toBe(false);
    expect(voiceTurnRequestSchema.safeParse({ ...request, leadTools: "yes" }).success).toBe(false);
  });

  it("carries its events as lines, whatever the chunks", async () => {
    const events: VoiceTurnEvent[] = [
      { type: "session", sessionId: "ses_1" },
      { type: "text", text: "Hello — “world”\n" },
      { type: "tool", toolName: "create_mission" },
      { type: "done", interrupted: false },
    ];
    const bytes = new Uint8Array(events.flatMap((e) => [...encodeVoiceTurnEvent(e)]));
    async function* chunks(size: number) {
      for (let i = 0; i < bytes.byteLength; i += size) yield bytes.slice(i, i + size);
    }
    for (const size of [1, 7, bytes.byteLength]) {
      const decoded: VoiceTurnEvent[] = [];
      for await (const event of decodeVoiceTurnEvents(chunks(size))) decoded.push(event);
      expect(decoded).toEqual(events);
    }
    async function* bad() {
      yield new TextEncoder().encode('{"type":"nope"}\n');
    }
    await expect(async () => {
      for await (const _ of decodeVoiceTurnEvents(bad())) void _;
    }).rejects.toThrow(/unknown event/);
  });
});

describe("an interrupted turn", () => {
  it("keeps finished steps, the cut step's text and only its started calls, each with its result", () => {
    const finished = [{ text: "Looking.", calls: [{ toolCallId: "c1", toolName: "list_tasks", input: {}, started: true, outcome: { ok: true as const, output: [{ id: "tsk_1" }] } }] }];
    const cut = {
      text: "Creating it now",
      calls: [
        { toolCallId: "c2", toolName: "create_mission", input: { goal: "g" }, started: true, outcome: { ok: false as const, message: "budget exhausted" } },
        { toolCallId: "c3", toolName: "add_policy", input: { text: "t" }, started: false },
      ],
    };
    expect(interruptedTurnMessages(finished, cut)).toEqual([
      { role: "assistant", content: [{ type: "text", text: "Looking." }, { type: "tool-call", toolCallId: "c1", toolName: "list_tasks", input: {} }] },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c1", toolName: "list_tasks", output: { type: "json", value: [{ id: "tsk_1" }] } }] },
      { role: "assistant", content: [{ type: "text", text: "Creating it now" }, { type: "tool-call", toolCallId: "c2", toolName: "create_mission", input: { goal: "g" } }] },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c2", toolName: "create_mission", output: { type: "error-text", value: "budget exhausted" } }] },
    ]);
  });

  it("keeps nothing of a step with neither text nor kept calls", () => {
    expect(interruptedTurnMessages([], { text: "  ", calls: [{ toolCallId: "c1", toolName: "x", input: {}, started: false }] })).toEqual([]);
    expect(interruptedTurnMessages([], { text: "Half a sen", calls: [] })).toEqual([{ role: "assistant", content: [{ type: "text", text: "Half a sen" }] }]);
  });

  it("is stored with what it said, marked interrupted", () => {
    expect(interruptedText("I will create ")).toBe("I will create … (interrupted)");
    expect(interruptedText("")).toBe("(interrupted)");
  });
});

describe("the voice session", () => {
  it("is answered by the tech lead, typed or spoken", () => {
    expect(leadAnswers("voice", "hello")).toBe(true);
    expect(leadAnswers("chat", "hello")).toBe(false);
  });
});
