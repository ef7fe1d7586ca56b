/**
 * The voice tech lead end to end, against the stack started as `npm start` starts it (local
 * speech service included): a Node client (`ws`) speaks the Agents SDK's voice protocol over a
 * real WebSocket — `hello`, `start_call`, then the PCM of an `espeak-ng` recording as 20 ms binary
 * frames at real-time pace and silence — and receives the user transcript, the tech lead's reply
 * as transcript frames and audio frames. The turn is stored in the project's `voice` session,
 * and the scripted tech lead's `create_mission` in that turn starts a mission.
 * Needs `espeak-ng` and `sox` (CI installs them).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, MissionView } from "../../src/shared/protocol.ts";
import { pollUntil, waitUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";
import { espeakPcm, openVoice, speak } from "./voice-client.ts";

/** Generous: the machine is small and runs workerd, the recogniser and the synthesiser. */
const LIVE = { timeoutMs: 60_000, intervalMs: 100 };
const SAID = "create a mission to build the greeting";
const REPLY = "I created the mission to build the greeting. It is starting now.";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The words of `text`, lower case, without punctuation. */
const words = (text: string) => text.toLowerCase().match(/[a-z']+/g) ?? [];

describe("the voice tech lead, end to end", () => {
  it("hears a spoken request, answers in text and audio, stores the turn in the voice session, and the mission it creates starts", async () => {
    const pcm = espeakPcm(SAID);
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: `voice e2e ${Date.now()}` } });
    const plan = { goal: "build the greeting", tasks: [{ key: "greet", prompt: "write the greeting", script: [{ toolCalls: [{ toolName: "bash", input: { command: "echo hello > greeting.txt" } }] }, { text: "wrote greeting.txt" }] }] };
    await call(stack, `/api/projects/${project.id}`, {
      method: "PATCH",
      json: { techLead: { model: "scripted", script: [{ toolCalls: [{ toolName: "create_mission", input: plan }] }, { text: REPLY }] } },
    });

    const voice = await openVoice(stack.host, project.id, stack.token);
    const show = () => voice.received.map((r) => ("json" in r ? r.json : { binary: r.bytes }));
    voice.send({ type: "hello", protocol_version: 1 });
    voice.send({ type: "start_call", preferred_format: "wav" });
    await waitUntil("the tech lead to listen", () => voice.json().some((f) => f.type === "status" && f.status === "listening"), show, LIVE);
    expect(voice.json().some((f) => f.type === "audio_config")).toBe(true);

    await speak(voice, pcm, 2_500);
    await waitUntil("the user's transcript", () => voice.json().some((f) => f.type === "transcript" && f.role === "user"), show, LIVE);
    const heard = String(voice.json().find((f) => f.type === "transcript" && f.role === "user")?.text ?? "");
    console.log(`[voice e2e] said "${SAID}", heard "${heard}"`);
    expect(words(heard).some((w) => w.startsWith("mission"))).toBe(true);

    // The reply as text (transcript frames) and as audio (binary frames).
    await waitUntil("the reply's transcript to end", () => voice.json().some((f) => f.type === "transcript_end"), show, LIVE);
    const deltas = voice.json().flatMap((f) => (f.type === "transcript_delta" ? [String(f.text)] : []));
    expect(voice.json().some((f) => f.type === "transcript_start" && f.role === "assistant")).toBe(true);
    expect(deltas.join("")).toContain("I created the mission");
    await waitUntil("the reply's audio", () => voice.received.some((r) => "bytes" in r && r.bytes > 1000), show, LIVE);
    expect(voice.json().some((f) => f.type === "error")).toBe(false);

    // The turn is in the project's voice session: the person's words, the tool card, the reply.
    const voiceSession = await pollUntil(
      "the project's voice session",
      () => call<{ sessions: { id: string; kind: string }[] }>(stack, `/api/projects/${project.id}/sessions`),
      ({ sessions }) => sessions.some((s) => s.kind === "voice"),
      LIVE,
    );
    const sessionId = voiceSession.sessions.find((s) => s.kind === "voice")!.id;
    const { messages } = await pollUntil(
      "the turn in the voice session",
      () => call<{ messages: ChatMessage[] }>(stack, `/api/projects/${project.id}/sessions/${sessionId}/messages`),
      ({ messages }) => messages.some((m) => m.author.kind === "user") && messages.some((m) => m.author.kind === "tech-lead" && m.text.includes("I created the mission")),
      { ...LIVE, show: ({ messages }) => messages.map((m) => [m.author.kind, m.text]) },
    );
    expect(messages.find((m) => m.author.kind === "user")?.text).toBe(heard);

    // The mission the tech lead created in the turn starts.
    const { missions } = await pollUntil(
      "the mission to start",
      () => call<{ missions: MissionView[] }>(stack, `/api/projects/${project.id}/missions`),
      ({ missions }) => missions.some((m) => m.status === "running" || m.status === "succeeded"),
      { ...LIVE, show: ({ missions }) => missions.map((m) => [m.goal, m.status]) },
    );
    expect(missions).toHaveLength(1);
    expect(missions[0]?.goal).toBe("build the greeting");
    expect(missions[0]?.tasks.map((t) => t.key)).toEqual(["greet"]);

    voice.send({ type: "end_call" });
    await waitUntil("the call to end", () => voice.json().some((f) => f.type === "status" && f.status === "idle"), show, LIVE);
    await voice.close();
  }, 180_000);
});
