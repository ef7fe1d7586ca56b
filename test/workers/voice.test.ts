/**
 * Talking with the tech lead (`/agents/tech-lead-voice/<projectId>`) in the Workers runtime, over
 * the Agents SDK's voice protocol, with SAM's real OpenAI-compatible speech providers against the
 * fake speech server of global-setup.ts (its "recogniser" reads text encoded by `spokenPcm` back
 * exactly, its "voice" speaks text the same way): a spoken turn runs the tech lead's tools and is
 * spoken back sentence by sentence and stored in the project's voice session; speech is paid
 * through the gate (source `voice`) and a spent budget refuses a call and a turn; speaking or an
 * `interrupt` aborts the model call; who may talk; bad frames; and the Workers AI providers
 * against a fake of the `AI` binding.
 */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { getAgentByName } from "agents";
import { tool } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runTechLeadTurn } from "../../src/actors/tech-lead/turn.ts";
import type { TechLeadVoice } from "../../src/actors/voice/tech-lead-voice.ts";
import type { SpeechMeter } from "../../src/models/speech/meter.ts";
import { createTranscriber, createTts, speechSetup, type SpeechSetup } from "../../src/models/speech/providers.ts";
import { normalizeWav, parseWav } from "../../src/models/speech/wav.ts";
import type { ChatMessage, ChatSession, MissionView } from "../../src/shared/protocol.ts";
import type { SpeechRequest } from "../support/fake-speech.ts";
import { pollUntil, waitUntil } from "../support/poll.ts";
import { pcmFrames, readSpokenPcm, silencePcm, spokenPcm } from "../support/spoken-pcm.ts";
import { newUser, requestsWith, scriptKey, setScript, type TestUser } from "./gate-helpers.ts";
import { addUser, api, apiJson, connect, TOKEN } from "./helpers.ts";

/** A JSON frame of the voice socket (the SDK's, or SAM's `error` with a code). */
type VoiceFrame = { type: string; [key: string]: unknown };

/** A voice socket's client: its JSON frames and audio frames, in order. */
interface VoiceSocket {
  ws: WebSocket;
  frames: VoiceFrame[];
  /** Each binary frame received (one WAV file each). */
  audio: Uint8Array[];
  send(frame: unknown): void;
  /** Streams `pcm` as binary frames of 20 ms. */
  speak(pcm: Uint8Array): void;
  /** The first JSON frame (already received or to come) matching `predicate`; rejects after 15 s. */
  next(predicate: (frame: VoiceFrame) => boolean, what?: string): Promise<VoiceFrame>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `/agents/tech-lead-voice/<projectId>` through the Worker; throws with the status when the upgrade is refused. */
async function connectVoice(projectId: string, token: string | null = TOKEN, headers: Record<string, string> = {}): Promise<VoiceSocket> {
  const response = await upgradeVoice(projectId, token, headers);
  const ws = response.webSocket;
  if (!ws) throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
  ws.accept();
  const frames: VoiceFrame[] = [];
  const audio: Uint8Array[] = [];
  let reading: Promise<void> = Promise.resolve();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (event: CloseEvent) => resolve({ code: event.code, reason: event.reason })));
  ws.addEventListener("message", (event: MessageEvent) => {
    if (typeof event.data === "string") frames.push(JSON.parse(event.data) as VoiceFrame);
    else {
      // Binary frames arrive as Blobs here; their bytes are read in order.
      const data = event.data as ArrayBuffer | Blob;
      reading = reading.then(async () => {
        audio.push(new Uint8Array(data instanceof Blob ? await data.arrayBuffer() : data));
      });
    }
  });
  return {
    ws,
    frames,
    audio,
    closed,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    speak: (pcm) => {
      for (const frame of pcmFrames(pcm)) ws.send(frame);
    },
    async next(predicate, what = "a matching frame") {
      let found: VoiceFrame | undefined;
      await waitUntil(what, () => (found = frames.find(predicate)) !== undefined, () => frames, { timeoutMs: 15_000, intervalMs: 20 });
      return found as VoiceFrame;
    },
  };
}

function upgradeVoice(projectId: string, token: string | null, headers: Record<string, string> = {}): Promise<Response> {
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return exports.default.fetch(new Request(`http://sam.test/agents/tech-lead-voice/${projectId}${query}`, { headers: { upgrade: "websocket", ...headers } }));
}

/** Says `text` as spoken PCM, then 900 ms of silence (past the 700 ms that ends an utterance). */
function say(socket: VoiceSocket, text: string): void {
  socket.speak(new Uint8Array([...spokenPcm(text), ...silencePcm(900)]));
}

/** Starts a call and waits until the server listens. */
async function startCall(socket: VoiceSocket): Promise<void> {
  const listening = socket.frames.filter((f) => f.type === "status" && f.status === "listening").length;
  socket.send({ type: "hello", protocol_version: 1 });
  socket.send({ type: "start_call" });
  await waitUntil("the call to listen", () => socket.frames.filter((f) => f.type === "status" && f.status === "listening").length > listening, () => socket.frames, { timeoutMs: 10_000 });
}

/** A project of `user`'s with a scripted tech lead. */
async function projectOf(user: TestUser, techLead: unknown): Promise<string> {
  const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "voice" } }, 201);
  await user.json(`/api/projects/${project.id}`, { method: "PATCH", json: { techLead } });
  return project.id;
}

/** The project's voice session and its messages (null while it has none). */
async function voiceSession(user: TestUser, projectId: string): Promise<{ session: ChatSession; messages: ChatMessage[] } | null> {
  const { sessions } = await user.json<{ sessions: ChatSession[] }>(`/api/projects/${projectId}/sessions`);
  const session = sessions.find((s) => s.kind === "voice");
  if (!session) return null;
  const { messages } = await user.json<{ messages: ChatMessage[] }>(`/api/projects/${projectId}/sessions/${session.id}/messages`);
  return { session, messages };
}

/** Waits until the voice session's messages satisfy `done`, and returns them. */
async function voiceMessages(user: TestUser, projectId: string, what: string, done: (messages: ChatMessage[]) => boolean): Promise<ChatMessage[]> {
  const found = await pollUntil(what, () => voiceSession(user, projectId), (v) => v !== null && done(v.messages), {
    timeoutMs: 15_000,
    show: (v) => v?.messages.map((m) => `${m.author.name}: ${m.text}`),
  });
  return found?.messages ?? [];
}

/** The fake speech server's requests (all tests'; filter by what they carry). */
async function speechRequests(): Promise<SpeechRequest[]> {
  return ((await (await fetch(`${env.FAKE_SPEECH_URL}/__control/requests`)).json()) as { requests: SpeechRequest[] }).requests;
}

/** The text each audio frame speaks (each frame one WAV of spoken PCM). */
function spokenSentences(audio: Uint8Array[]): string[] {
  return audio.map((wav) => {
    const info = parseWav(wav);
    expect(info.dataOffset + info.dataBytes).toBe(wav.byteLength);
    return readSpokenPcm(wav.subarray(info.dataOffset));
  });
}

type UsageGroups = { groups: { key: string; calls: number; costUsd: number }[] };

describe("voice: talking with the tech lead", () => {
  it("a spoken turn: the transcript, the tech lead's tools (a mission that starts), the reply spoken sentence by sentence, all stored in the voice session and paid with source voice", async () => {
    const user = await newUser("voice-speaker");
    const plan = { goal: "ship the readme", tasks: [{ key: "write-readme", prompt: "write it", script: [{ text: "written" }] }] };
    const projectId = await projectOf(user, {
      model: "scripted",
      script: [{ toolCalls: [{ toolName: "create_mission", input: plan }] }, { text: "I created the mission ship the readme. It starts now." }, { text: "The readme is on its way." }],
    });
    const chat = await connect(projectId, user.token);
    const voice = await connectVoice(projectId, user.token);
    await voice.next((f) => f.type === "welcome", "welcome");
    await startCall(voice);
    expect(voice.frames.find((f) => f.type === "audio_config")).toMatchObject({ format: "wav" });
    // No Agents SDK identity, state or MCP frames on the voice socket.
    expect(voice.frames.filter((f) => f.type.startsWith("cf_agent"))).toEqual([]);

    say(voice, "please create a mission to ship the readme");
    await voice.next((f) => f.type === "transcript" && f.role === "user", "the user's transcript");
    expect(voice.frames.find((f) => f.type === "transcript" && f.role === "user")?.text).toBe("please create a mission to ship the readme");
    const end = await voice.next((f) => f.type === "transcript_end", "the reply's transcript");
    expect(end.text).toBe("I created the mission ship the readme. It starts now.");
    await voice.next((f) => f.type === "status" && f.status === "speaking", "speaking");
    // Spoken sentence by sentence: one WAV frame per sentence, each the sentence itself.
    await waitUntil("both sentences to be spoken", () => voice.audio.length >= 2, () => voice.audio.length);
    expect(spokenSentences(voice.audio)).toEqual(["I created the mission ship the readme.", "It starts now."]);
    const statuses = voice.frames.filter((f) => f.type === "status").map((f) => f.status);
    expect(statuses.slice(statuses.indexOf("thinking"))).toEqual(["thinking", "speaking", "listening"]);

    // The turn is in the project's voice session, by the speaker and the tech lead, with the tool's card.
    const messages = await voiceMessages(user, projectId, "the voice turn to be stored", (all) => all.some((m) => m.author.kind === "tech-lead"));
    expect(messages.map((m) => [m.author.kind, m.author.id, m.text])).toEqual([
      ["user", user.id, "please create a mission to ship the readme"],
      ["tech-lead", "tech-lead", "I created the mission ship the readme. It starts now."],
    ]);
    expect(messages[1].cards.map((c) => [c.toolName, c.isError])).toEqual([["create_mission", false]]);
    // Every member saw it live, the reply streamed as deltas under the stored message's draft id.
    const live = await chat.next((f) => f.type === "chat.message" && f.message.author.kind === "tech-lead");
    if (live.type !== "chat.message") throw new Error("unreachable");
    expect(live.message.sessionId).toBe(messages[1].sessionId);
    expect(chat.frames.some((f) => f.type === "chat.delta" && f.draftId === live.message.draftId)).toBe(true);
    expect(chat.frames.some((f) => f.type === "chat.card" && f.card.toolName === "create_mission")).toBe(true);
    // The mission it created starts and runs like any other.
    const missionId = (messages[1].cards[0].output as { id: string }).id;
    const mission = await pollUntil("the mission to end", () => user.json<MissionView>(`/api/missions/${missionId}`), (m) => ["succeeded", "failed"].includes(m.status), {
      timeoutMs: 20_000,
      intervalMs: 100,
      show: (m) => m.status,
    });
    expect(mission.status).toBe("succeeded");

    // The speech server got the WAV with the configured model and key; the voice was asked per sentence.
    const transcriptions = (await speechRequests()).filter((r) => r.route === "transcriptions" && r.text === "please create a mission to ship the readme");
    expect(transcriptions).toEqual([expect.objectContaining({ model: "whisper-1", authorization: "Bearer test-speech-key", prompt: null })]);
    const spoken = (await speechRequests()).filter((r) => r.route === "speech" && r.input?.includes("It starts now."));
    expect(spoken).toEqual([expect.objectContaining({ model: "tts-1", voice: "alloy" })]);

    // A new call reads the project's vocabulary: the mission's goal is the recogniser's prompt.
    voice.send({ type: "end_call" });
    await startCall(voice);
    say(voice, "how is the readme going");
    await voice.next((f) => f.type === "transcript_end" && f.text === "The readme is on its way.", "the second reply");
    const second = (await speechRequests()).find((r) => r.route === "transcriptions" && r.text === "how is the readme going");
    expect(second?.prompt).toContain("ship the readme");

    // Speech-to-text (two utterances), text-to-speech (three sentences) and the two turns' model calls: source `voice`.
    const usage = await pollUntil(
      "the voice usage to be recorded",
      () => user.json<UsageGroups>("/api/usage?groupBy=source"),
      (u) => (u.groups.find((g) => g.key === "voice")?.calls ?? 0) >= 7,
      { timeoutMs: 5_000, show: (u) => u.groups },
    );
    // (The mission's task is paid by the speaker too, under `task`.)
    expect(usage.groups.find((g) => g.key === "voice")?.calls).toBe(7);
    const byModel = await user.json<UsageGroups>("/api/usage?groupBy=model");
    expect(Object.fromEntries(byModel.groups.filter((g) => g.key.startsWith("speech/")).map((g) => [g.key, g.calls]))).toEqual({ "speech/tts-1": 3, "speech/whisper-1": 2 });
    voice.ws.close();
    chat.ws.close();
  });

  it("a spent budget refuses the call with an error frame, and then a turn", async () => {
    const user = await newUser("voice-budget");
    const projectId = await projectOf(user, { model: "scripted", script: [{ text: "You should not hear this." }] });
    const voice = await connectVoice(projectId, user.token);
    await user.json("/api/me/budgets", { method: "PUT", json: { monthlyUsd: 0 } });
    voice.send({ type: "start_call" });
    const refused = await voice.next((f) => f.type === "error" && f.code === "budget_exceeded", "the budget's refusal");
    expect(String(refused.message)).toMatch(/monthly budget exhausted/);
    await voice.next((f) => f.type === "status" && f.status === "idle" && voice.frames.indexOf(f) > voice.frames.indexOf(refused), "back to idle");

    // With a budget the call starts; spent mid-call, a spoken turn is refused before it is recognised.
    await user.json("/api/me/budgets", { method: "PUT", json: { monthlyUsd: null } });
    await startCall(voice);
    await user.json("/api/me/budgets", { method: "PUT", json: { monthlyUsd: 0 } });
    const errors = voice.frames.filter((f) => f.type === "error").length;
    say(voice, "are you listening to me");
    await waitUntil("a second refusal", () => voice.frames.filter((f) => f.type === "error").length > errors, () => voice.frames);
    expect(voice.frames.filter((f) => f.type === "error").at(-1)).toMatchObject({ code: "budget_exceeded" });
    expect(voice.frames.filter((f) => f.type === "transcript")).toEqual([]);
    expect((await speechRequests()).some((r) => r.text === "are you listening to me")).toBe(false);
    // A typed turn (text_message, no speech-to-text) reaches the tech lead, whose model call the budget refuses.
    voice.send({ type: "text_message", text: "then just tell me" });
    const turnRefusal = await voice.next((f) => f.type === "error" && typeof f.message === "string" && f.message.includes("could not answer"), "the turn's refusal");
    expect(String(turnRefusal.message)).toMatch(/budget/);
    const messages = await voiceMessages(user, projectId, "the refusal in the voice session", (all) => all.some((m) => m.role === "system"));
    expect(messages.map((m) => m.role)).toEqual(["user", "system"]);
    expect((await user.json<UsageGroups>("/api/usage?groupBy=source")).groups).toEqual([]);
    voice.ws.close();
  });

  it("speaking while the tech lead answers interrupts it: the model call is aborted, the cut reply is kept, the new turn answered; so does an interrupt frame", async () => {
    const user = await newUser("voice-barge-in");
    const { key, marker } = scriptKey("voice-barge");
    const long = "Let me think about that for a very long while. I am still thinking.";
    // The fake streams the first half at once, then waits.
    const firstHalf = long.slice(0, Math.ceil(long.length / 2));
    await setScript(key, [
      { text: long, delayMs: 20_000 },
      { text: "Fine, I stopped.", usage: { prompt_tokens: 20, completion_tokens: 4 } },
      { text: "This one is slow too. Very slow.", delayMs: 20_000 },
    ]);
    const projectId = await projectOf(user, { model: "compat/fake-model" });
    const voice = await connectVoice(projectId, user.token);
    await startCall(voice);
    say(voice, `${marker} tell me a long story`);
    await pollUntil("the model call to start", () => requestsWith(marker), (r) => r.length === 1, { timeoutMs: 10_000, show: (r) => r.length });
    await voice.next((f) => f.type === "transcript_delta", "the reply's first words");

    say(voice, `${marker} stop please`);
    await voice.next((f) => f.type === "playback_interrupt", "the barge-in");
    const first = await pollUntil("the first model call to be aborted", () => requestsWith(marker), (r) => r[0]?.aborted === true, { timeoutMs: 5_000, show: (r) => r.map((q) => q.aborted) });
    expect(first.length).toBeGreaterThanOrEqual(1);
    await voice.next((f) => f.type === "transcript_end" && f.text === "Fine, I stopped.", "the answer to the barge-in");
    const messages = await voiceMessages(user, projectId, "both turns to be stored", (all) => all.filter((m) => m.author.kind === "tech-lead").length === 2);
    expect(messages.map((m) => [m.author.kind, m.text])).toEqual([
      ["user", `${marker} tell me a long story`],
      ["tech-lead", `${firstHalf} … (interrupted)`],
      ["user", `${marker} stop please`],
      ["tech-lead", "Fine, I stopped."],
    ]);
    // The second model call saw the cut reply in the conversation (one assistant message before it).
    const second = (await requestsWith(marker))[1];
    expect(JSON.stringify(second.body)).toContain(firstHalf);

    // An explicit interrupt does the same.
    voice.send({ type: "text_message", text: `${marker} and another` });
    await pollUntil("the third model call to start", () => requestsWith(marker), (r) => r.length === 3, { timeoutMs: 10_000, show: (r) => r.length });
    voice.send({ type: "interrupt" });
    await pollUntil("the third model call to be aborted", () => requestsWith(marker), (r) => r[2]?.aborted === true, { timeoutMs: 5_000, show: (r) => r.map((q) => q.aborted) });
    voice.ws.close();
  });

  it("an interrupted turn lets a tool call that started finish and keeps it, and starts no further step", async () => {
    const user = await newUser("voice-interrupted-tool");
    let started = false;
    let finish: (value: { done: true }) => void = () => {};
    const controller = new AbortController();
    const slow = tool({
      description: "a slow tool",
      inputSchema: z.object({}),
      execute: () => {
        started = true;
        return new Promise<{ done: true }>((resolve) => (finish = resolve));
      },
    });
    const cards: string[] = [];
    const reply = runTechLeadTurn({
      env,
      projectId: "prj_01J00000000000000000000000",
      projectName: "voice",
      userId: user.id,
      model: { model: "scripted", script: [{ text: "Working on it.", toolCalls: [{ toolName: "slow", input: {} }] }, { text: "never said" }] },
      messages: [{ role: "user", content: "do the slow thing" }],
      tools: { slow },
      onDelta: () => {},
      onCard: (card) => cards.push(card.toolName),
      source: "voice",
      signal: controller.signal,
    });
    await waitUntil("the slow tool to start", () => started, () => started);
    controller.abort();
    finish({ done: true });
    const result = await reply;
    expect(result.interrupted).toBe(true);
    expect(result.text).toBe("Working on it.");
    expect(result.cards).toEqual([expect.objectContaining({ toolName: "slow", output: { done: true }, isError: false })]);
    expect(cards).toEqual(["slow"]);
    expect(result.responseMessages).toEqual([
      { role: "assistant", content: [{ type: "text", text: "Working on it." }, { type: "tool-call", toolCallId: "call_0_0", toolName: "slow", input: {} }] },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "call_0_0", toolName: "slow", output: { type: "json", value: { done: true } } }] },
    ]);
    // The turn's one model call is in the ledger as a voice call.
    const usage = await pollUntil("the call to be recorded", () => user.json<UsageGroups>("/api/usage?groupBy=source"), (u) => u.groups.length > 0, { timeoutMs: 5_000 });
    expect(usage.groups).toEqual([expect.objectContaining({ key: "voice", calls: 1 })]);
  });

  it("lets members and owners talk; refuses viewers, embed tokens without chat:write, strangers and no credential", async () => {
    const owner = await newUser("voice-owner");
    const projectId = await projectOf(owner, { model: "scripted", script: [{ text: "Hello member." }] });
    const member = await addUser("voice-member");
    const viewer = await addUser("voice-viewer");
    const stranger = await addUser("voice-stranger");
    await owner.json(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: member.id, role: "member" } }, 201);
    await owner.json(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: viewer.id, role: "viewer" } }, 201);

    const refused = await upgradeVoice(projectId, viewer.token);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: "forbidden", message: "viewers may not talk to the tech lead" } });
    expect((await upgradeVoice(projectId, stranger.token)).status).toBe(404);
    expect((await upgradeVoice(projectId, null)).status).toBe(401);
    expect((await upgradeVoice("prj_nope", owner.token)).status).toBe(404);
    // A browser from another origin is refused, as on the project socket.
    expect((await upgradeVoice(projectId, owner.token, { origin: "https://evil.example" })).status).toBe(403);

    const app = "https://app.example";
    const readOnly = await owner.json<{ token: string }>(`/api/projects/${projectId}/embed-tokens`, { method: "POST", json: { name: "Reader", capabilities: ["chat:read"], origins: [app], expiresInMinutes: 30 } }, 201);
    const embedRefused = await upgradeVoice(projectId, readOnly.token, { origin: app });
    expect(embedRefused.status).toBe(403);
    const writer = await owner.json<{ token: string }>(`/api/projects/${projectId}/embed-tokens`, { method: "POST", json: { name: "Visitor", capabilities: ["chat:read", "chat:write"], origins: [app], expiresInMinutes: 30 } }, 201);
    expect((await upgradeVoice(projectId, writer.token)).status).toBe(403);
    const visitor = await connectVoice(projectId, writer.token, { origin: app });
    await visitor.next((f) => f.type === "welcome");
    visitor.ws.close();

    const voice = await connectVoice(projectId, member.token);
    await startCall(voice);
    voice.send({ type: "text_message", text: "hello there" });
    await voice.next((f) => f.type === "transcript_end" && f.text === "Hello member.", "the reply");
    const messages = await voiceMessages(owner, projectId, "the member's turn", (all) => all.length === 2);
    expect(messages[0].author).toEqual({ id: member.id, name: "voice-member", kind: "user" });

    // Removing the member closes their voice socket at once.
    await owner.json(`/api/projects/${projectId}/members/${member.id}`, { method: "DELETE" }, 204);
    expect((await voice.closed).code).toBe(4003);
  });

  it("closes a voice socket opened with a person's token when the token expires; one without expiry stays", async () => {
    const owner = await newUser("voice-expiring");
    const projectId = await projectOf(owner, { model: "scripted", script: [{ text: "Hello." }] });
    const short = await owner.json<{ token: string; expiresAt: string }>("/api/tokens", { method: "POST", json: { name: "for a day", expiresInDays: 1 } }, 201);
    const expiring = await connectVoice(projectId, short.token);
    const lasting = await connectVoice(projectId, owner.token);
    await expiring.next((f) => f.type === "welcome");
    await lasting.next((f) => f.type === "welcome");
    const stub = await getAgentByName(env.TechLeadVoice, projectId);
    // Connecting scheduled the close at the token's expiry (the SDK keeps whole seconds).
    const schedules = await runInDurableObject(stub, (instance: TechLeadVoice) => instance.listSchedules());
    expect(schedules.filter((x) => x.callback === "closeExpiredConnections").map((x) => x.time)).toEqual([Math.floor(Date.parse(short.expiresAt) / 1000)]);
    await runInDurableObject(stub, async (instance: TechLeadVoice) => {
      instance["clock"] = () => Date.parse(short.expiresAt) - 1000;
      expect(await instance.closeExpiredConnections()).toBe(0);
      instance["clock"] = () => Date.parse(short.expiresAt) + 1000;
      expect(await instance.closeExpiredConnections()).toBe(1);
      instance["clock"] = () => Date.now();
    });
    expect(await expiring.closed).toEqual({ code: 4003, reason: "token expired" });
    await startCall(lasting);
    lasting.ws.close();
  });

  it("answers malformed frames with error frames and keeps the connection", async () => {
    const user = await newUser("voice-frames");
    const projectId = await projectOf(user, { model: "scripted", script: [{ text: "Still here." }] });
    const voice = await connectVoice(projectId, user.token);
    voice.send("not json");
    voice.send({ type: "dance" });
    voice.send({ type: "text_message", text: 5 });
    voice.send({ type: "start_call", preferred_format: "flac" });
    voice.send({ type: "rpc", id: "1", method: "closeConnections", args: [] });
    voice.send({ type: "cf_agent_state", state: { big: true } });
    voice.ws.send(new Uint8Array([1, 2, 3]));
    voice.ws.send(new Uint8Array(70_000));
    await waitUntil("eight error frames", () => voice.frames.filter((f) => f.type === "error").length === 8, () => voice.frames);
    expect(voice.frames.filter((f) => f.type === "error").map((f) => f.code)).toEqual([
      "invalid_json",
      "invalid_frame",
      "invalid_frame",
      "invalid_frame",
      "invalid_frame",
      "invalid_frame",
      "invalid_frame",
      "invalid_frame",
    ]);
    expect(voice.frames.some((f) => f.type === "status" && f.status === "listening")).toBe(false);
    // Still open and working.
    await startCall(voice);
    voice.send({ type: "text_message", text: "are you there" });
    await voice.next((f) => f.type === "transcript_end" && f.text === "Still here.", "the reply");
    voice.ws.close();
  });

  it("a failed recognition is told with an error frame and the call goes on", async () => {
    const user = await newUser("voice-stt-fail");
    const projectId = await projectOf(user, { model: "scripted", script: [{ text: "Heard you." }] });
    const voice = await connectVoice(projectId, user.token);
    await startCall(voice);
    say(voice, "[fail] this will not be understood");
    const failed = await voice.next((f) => f.type === "error" && f.code === "speech_failed", "the recognition's failure");
    expect(String(failed.message)).toContain("500");
    say(voice, "and this will be understood");
    await voice.next((f) => f.type === "transcript_end" && f.text === "Heard you.", "the reply");
    voice.ws.close();
  });
});

describe("voice: speech providers", () => {
  it("are chosen from the configuration: the speech server, else Workers AI, else none", () => {
    const fakeAi = { run: async () => null };
    expect(speechSetup({ SAM_SPEECH_BASE_URL: "http://127.0.0.1:9/" })).toMatchObject({ kind: "openai-compatible", config: { baseUrl: "http://127.0.0.1:9/v1", transcriptionModel: "whisper-1" }, transcription: { id: "speech/whisper-1", usdPerMinute: 0 } });
    expect(speechSetup({ SAM_SPEECH_BASE_URL: "https://api.example/v1", SAM_SPEECH_PRICES: JSON.stringify({ "whisper-1": { perMinute: 0.006 } }), AI: fakeAi })).toMatchObject({ kind: "openai-compatible", transcription: { usdPerMinute: 0.006 } });
    expect(speechSetup({ AI: fakeAi })).toMatchObject({ kind: "workers-ai", transcription: { id: "workers-ai/@cf/deepgram/flux" }, speech: { id: "workers-ai/@cf/deepgram/aura-1" }, speaker: "asteria" });
    expect(speechSetup({ AI: fakeAi, SAM_SPEECH_TRANSCRIPTION_MODEL: "@cf/deepgram/nova-3" })).toMatchObject({ kind: "workers-ai", transcription: { usdPerMinute: 0.0092 } });
    expect(speechSetup({ AI: fakeAi, SAM_SPEECH_TRANSCRIPTION_MODEL: "@cf/openai/whisper" }).kind).toBe("unavailable");
    expect(speechSetup({}).kind).toBe("unavailable");
    expect(speechSetup({ SAM_SPEECH_BASE_URL: "ftp://x" }).kind).toBe("unavailable");
  });

  it("Workers AI: the SDK's Flux recogniser (metered per second of audio heard) and Aura voice (asked for WAV) against a fake AI binding", async () => {
    const runs: { model: string; input: Record<string, unknown>; options?: Record<string, unknown> }[] = [];
    let audioBytes = 0;
    let server: WebSocket | null = null;
    const fakeAi = {
      async run(model: string, input: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown> {
        runs.push({ model, input, options });
        if (model === "@cf/deepgram/flux") {
          const pair = new WebSocketPair();
          const [client, upstream] = Object.values(pair);
          upstream.accept();
          upstream.addEventListener("message", (event: MessageEvent) => {
            // workerd hands binary messages to this end of the pair as Blobs.
            const data = event.data as ArrayBuffer | Blob;
            audioBytes += data instanceof Blob ? data.size : data.byteLength;
          });
          server = upstream;
          return { webSocket: client };
        }
        return new Response(normalizeWav(new Uint8Array([...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WAVEfmt "), 16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0, 2, 0, 16, 0, ...new TextEncoder().encode("data"), 4, 0, 0, 0, 1, 0, 2, 0])), { headers: { "content-type": "audio/wav" } });
      },
    };
    const setup = speechSetup({ AI: fakeAi }) as Extract<SpeechSetup, { kind: "workers-ai" }>;
    const charges: { kind: string; quantity: number; status?: string }[] = [];
    const meter: SpeechMeter = {
      async begin(kind, quantity) {
        const charge: { kind: string; quantity: number; status?: string } = { kind, quantity };
        charges.push(charge);
        return {
          settle: async (outcome) => {
            charge.status = outcome.status;
          },
          release: async () => {},
        };
      },
      async record(kind, quantity) {
        charges.push({ kind, quantity, status: "recorded" });
      },
    };
    const utterances: string[] = [];
    const session = createTranscriber(setup, { meter }).createSession({ onUtterance: (text) => utterances.push(text) });
    await session.waitUntilReady?.();
    session.feed(new Uint8Array(32_000).buffer); // one second of audio
    await waitUntil("the audio to reach Flux", () => audioBytes === 32_000, () => audioBytes);
    expect(runs[0]).toMatchObject({ model: "@cf/deepgram/flux", input: { encoding: "linear16", sample_rate: "16000" }, options: { websocket: true } });
    (server as WebSocket | null)?.send(JSON.stringify({ event: "StartOfTurn", transcript: "" }));
    (server as WebSocket | null)?.send(JSON.stringify({ event: "EndOfTurn", transcript: "create a mission" }));
    await waitUntil("the utterance", () => utterances.length === 1, () => utterances);
    expect(utterances).toEqual(["create a mission"]);
    expect(charges).toEqual([{ kind: "transcription", quantity: 1, status: "ok" }]);
    session.feed(new Uint8Array(16_000).buffer);
    session.close();
    await waitUntil("the rest to be recorded", () => charges.length === 2, () => charges);
    expect(charges[1]).toEqual({ kind: "transcription", quantity: 0.5, status: "recorded" });

    const audio = await createTts(setup).synthesize("Hello there.");
    expect(runs[1]).toMatchObject({ model: "@cf/deepgram/aura-1", input: { text: "Hello there.", speaker: "asteria", encoding: "linear16", container: "wav", sample_rate: 16000 } });
    expect(parseWav(new Uint8Array(audio as ArrayBuffer))).toMatchObject({ sampleRate: 16000, channels: 1, dataBytes: 4 });
  });
});
