/**
 * Talking to the tech lead in headless Chromium (playwright-core driving Debian's chromium)
 * against the stack started as `npm start` starts it, local speech service included. Chromium's
 * microphone is a fake device playing an `espeak-ng` recording made here (16 kHz mono WAV, then a
 * long silence; the device loops it). Covers:
 *   1. a call: press Talk, the tech lead listens, the recording is heard and transcribed, a
 *      scripted tech lead runs a tool and answers aloud (its reply's text beside its audio, the
 *      audio frames received, decoded and scheduled for playback), speaking over it interrupts
 *      it, the call ends and the microphone stops; the turn is in the project's `voice` session
 *      in the chat, with the tool's card;
 *   2. a viewer is offered no Talk button;
 *   3. when the voice upgrade is refused (the sign-in cookie is gone), the panel says voice is
 *      unavailable and the rest of the page keeps working;
 *   4. on a phone-sized screen, against a scripted voice server (Playwright's WebSocket route
 *      speaking the SDK's protocol): the interim transcript while one speaks, and the SDK's
 *      startup-failure frames (`error`, then `status: idle`) shown as "voice is unavailable",
 *      with nothing else broken and no sideways scrolling.
 * Screenshots are kept in test-artifacts/ (voice-*.png). Needs `espeak-ng` and `sox` (CI installs
 * them): without them the test fails saying so.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll.ts";
import { launchChromium, signedInPage } from "./chromium.ts";
import { call, startStack, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
/** How long a live change may take: generous, the machine is small and runs workerd and the recogniser. */
const LIVE = { timeout: 90_000 };
/** The same, as pollUntil's options. */
const LIVE_POLL = { timeoutMs: LIVE.timeout };
/** What the person says (a request of the recogniser's corpus, src/speech/corpus.ts). */
const SAID = "list the missions";
/** Silence after the sentence in the recording, in s: the fake microphone loops, so the sentence comes back this long after it ended. */
const GAP_S = 12;
/** The scripted tech lead's spoken reply: five sentences, about twenty seconds of speech, long enough to be spoken over. */
const REPLY = [
  "There are no missions in this project yet.",
  "Tell me the goal, and I will plan a mission for it.",
  "I split the work into tasks, run them side by side, and retry the ones that fail.",
  "When the mission is over, I post a summary of what was done and what it cost.",
  "You can interrupt me at any time by speaking.",
].join(" ");
/** Its later replies (a turn after an interrupted one). */
const LATER_REPLY = "Stopped. What should I do next?";

let stack: Stack;
let browser: Browser;
let microphone: string;

/** Fails with what to install when a program the test needs is missing. */
function requireProgram(name: string, args: string[]): void {
  const result = spawnSync(name, args, { stdio: "ignore" });
  if (result.error || result.status !== 0) {
    throw new Error(`${name} is missing or broken (${result.error?.message ?? `exit ${result.status}`}): install it (Debian: apt-get install -y espeak-ng sox) — this test speaks into Chromium's fake microphone with it`);
  }
}

/** `text` spoken by espeak-ng (US English) as a 16 kHz mono 16-bit WAV in `dir`, with 0.5 s of silence before and GAP_S after. */
function speechWav(dir: string, text: string): string {
  requireProgram("espeak-ng", ["--version"]);
  requireProgram("sox", ["--version"]);
  const raw = join(dir, "said-raw.wav");
  const wav = join(dir, "said.wav");
  execFileSync("espeak-ng", ["-v", "en-us", "-s", "150", "-w", raw, text]);
  execFileSync("sox", [raw, "-r", "16000", "-c", "1", "-b", "16", wav, "pad", "0.5", String(GAP_S)]);
  return wav;
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  microphone = speechWav(mkdtempSync(join(tmpdir(), "sam-voice-browser-")), SAID);
  stack = await startStack();
  browser = await launchChromium({ fakeMicrophone: microphone });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Counts, in the page, every audio buffer scheduled for playback (the SDK's client plays replies through AudioBufferSourceNodes) and every one stopped. */
async function countPlayback(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const counts = { starts: 0, seconds: 0, stops: 0 };
    (window as unknown as { samPlayback: typeof counts }).samPlayback = counts;
    const proto = AudioBufferSourceNode.prototype;
    const start = proto.start;
    const stop = proto.stop;
    proto.start = function (this: AudioBufferSourceNode, ...args: Parameters<typeof start>) {
      counts.starts++;
      counts.seconds += this.buffer?.duration ?? 0;
      return start.apply(this, args);
    };
    proto.stop = function (this: AudioBufferSourceNode, ...args: Parameters<typeof stop>) {
      counts.stops++;
      return stop.apply(this, args);
    };
  });
}

function playback(page: Page): Promise<{ starts: number; seconds: number; stops: number }> {
  return page.evaluate(() => (window as unknown as { samPlayback: { starts: number; seconds: number; stops: number } }).samPlayback);
}

/** A new project whose tech lead is `scripted` with `script`, its page open and connected in a signed-in page (`token`'s person) of `viewport` size. */
async function projectPage(name: string, options: { script?: unknown[]; token?: string; viewport?: { width: number; height: number } } = {}): Promise<{ page: Page; projectId: string }> {
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name } });
  if (options.script) await call(stack, `/api/projects/${project.id}`, { method: "PATCH", json: { techLead: { model: "scripted", script: options.script } } });
  const page = await signedInPage(browser, stack, options.viewport ?? { width: 1280, height: 900 }, options.token);
  await countPlayback(page);
  await page.goto(`${stack.url}/projects/${project.id}`);
  await page.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
  return { page, projectId: project.id };
}

/** The words of `text`, lower case, without punctuation. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z']+/g) ?? [];
}

describe("talking to the tech lead in the browser", () => {
  it("listens, answers aloud with the reply's text beside its audio, is interrupted by speech, and keeps the turn in the voice session", async () => {
    const { page, projectId } = await projectPage(`voice browser ${Date.now()}`, {
      script: [{ toolCalls: [{ toolName: "list_missions", input: {} }] }, { text: REPLY }, { text: LATER_REPLY }, { text: LATER_REPLY }, { text: LATER_REPLY }],
    });
    const panel = page.getByTestId("talk-panel");
    const status = page.getByTestId("voice-status");

    // Talk: the microphone is granted (the fake device) and the tech lead accepts the call.
    await page.getByTestId("talk-toggle").click();
    await panel.waitFor();
    await status.filter({ hasText: /^listening$/ }).waitFor(LIVE);
    expect(await page.getByTestId("talk-toggle").getAttribute("aria-expanded")).toBe("true");

    // The recording is heard: the meter moves while it plays, then its transcript arrives.
    await pollUntil(
      "the level meter to show the recording",
      () => page.getByTestId("voice-level").getAttribute("data-level"),
      (level) => Number(level) > 0.3,
      { timeoutMs: 30_000 },
    );
    const said = page.getByTestId("voice-said").first();
    await said.waitFor(LIVE);
    // Muted until the reply plays, so the looping recording does not speak over the turn.
    await page.getByTestId("voice-mute").click();
    expect(await page.getByTestId("voice-mute").getAttribute("aria-pressed")).toBe("true");
    const heard = await said.getByTestId("voice-line-text").innerText();
    console.log(`[voice-browser] said "${SAID}", heard "${heard}"`);
    expect(words(heard).some((word) => word.startsWith("mission"))).toBe(true);

    // The reply: its text, and beside it its audio, received, decoded and scheduled for playback.
    const reply = page.getByTestId("voice-reply").first();
    await reply.filter({ hasText: "There are no missions in this project yet." }).waitFor(LIVE);
    await pollUntil("the reply's audio to be received and measured", () => reply.getByTestId("voice-reply-audio").getAttribute("data-audio-seconds"), (s) => Number(s) > 1, LIVE_POLL);
    expect(Number(await reply.getByTestId("voice-reply-audio").getAttribute("data-audio-frames"))).toBeGreaterThan(0);
    expect(Number(await page.getByTestId("voice-received").getAttribute("data-bytes"))).toBeGreaterThan(1000);
    await reply.and(page.locator('[data-audio-state="playing"]')).waitFor(LIVE);
    await status.filter({ hasText: /^speaking$/ }).waitFor();
    const heardBefore = await pollUntil("the reply to be scheduled for playback", () => playback(page), (p) => p.starts > 0 && p.seconds > 1, LIVE_POLL);
    await page.screenshot({ path: resolve(artifacts, "voice-speaking.png"), fullPage: true });

    // Speaking over it interrupts it: unmuted, the recording comes back while the reply plays.
    await page.getByTestId("voice-mute").click();
    await reply.and(page.locator('[data-audio-state="interrupted"]')).waitFor(LIVE);
    const after = await playback(page);
    expect(after.stops).toBeGreaterThan(heardBefore.stops);
    await page.screenshot({ path: resolve(artifacts, "voice-interrupted.png"), fullPage: true });

    // The call ends and the microphone stops. (What was said over the reply may still be on its
    // way as a new turn: ending the call aborts it.)
    await page.getByTestId("voice-end").click();
    await status.filter({ hasText: /^ended$/ }).waitFor();
    expect(await panel.getAttribute("data-phase")).toBe("ended");
    expect(await page.getByTestId("voice-level").getAttribute("data-level")).toBe("0.00");
    expect(await page.getByTestId("voice-mute").isDisabled()).toBe(true);

    // The reply can be heard again.
    const startsBefore = (await playback(page)).starts;
    await reply.getByTestId("voice-replay").click();
    await pollUntil("the reply to play again", () => playback(page), (p) => p.starts > startsBefore, LIVE_POLL);
    await page.screenshot({ path: resolve(artifacts, "voice-ended.png"), fullPage: true });

    // The turn is in the project's voice session, for everyone, live and in history.
    await page.getByTestId("voice-session-link").click();
    await page.waitForURL(new RegExp(`/projects/${projectId}/sessions/ses_[0-9A-Z]+$`));
    await page.getByTestId("session-kind-voice").waitFor();
    const spoken = page.getByTestId("chat-message").filter({ hasText: heard });
    await spoken.first().waitFor(LIVE);
    const card = page.getByTestId("chat-tool-card").and(page.locator('[data-tool-name="list_missions"]'));
    await card.first().waitFor(LIVE);
    await page.screenshot({ path: resolve(artifacts, "voice-chat.png"), fullPage: true });
    await page.reload();
    await page.getByTestId("chat-message").filter({ hasText: heard }).first().waitFor(LIVE);
    await page.getByTestId("chat-tool-card").and(page.locator('[data-tool-name="list_missions"]')).first().waitFor(LIVE);
  });

  it("offers a viewer no Talk button", async () => {
    const added = await call<{ user: { id: string }; token: string }>(stack, "/api/admin/users", { json: { name: "Vic Viewer" } });
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: `voice viewer ${Date.now()}` } });
    await call(stack, `/api/projects/${project.id}/members`, { json: { userId: added.user.id, role: "viewer" } });
    const page = await signedInPage(browser, stack, { width: 1280, height: 900 }, added.token);
    await page.goto(`${stack.url}/projects/${project.id}`);
    await page.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
    await page.getByTestId("project-role").filter({ hasText: /^viewer$/ }).waitFor();
    expect(await page.getByTestId("talk-toggle").count()).toBe(0);
    expect(await page.getByTestId("talk-panel").count()).toBe(0);
  });

  it("says voice is unavailable when the server refuses the call's connection, and the rest of the page keeps working", async () => {
    const { page } = await projectPage(`voice refused ${Date.now()}`);
    // Signed out behind the page's back: the open project socket stays, a new upgrade is refused.
    // (Only once the page has done what it does on its own: a request of its own after this would
    // rightly find the sign-in gone and show the signed-out page — the notifications' fetch once
    // their socket opens, say.)
    await page.locator('[data-testid="notification-bell"][data-settled="true"]').waitFor(LIVE);
    await page.context().clearCookies();
    await page.getByTestId("talk-toggle").click();
    await page.getByTestId("voice-status").filter({ hasText: /^unavailable$/ }).waitFor(LIVE);
    await page.getByTestId("voice-problem").filter({ hasText: /^Voice is unavailable: you are signed out\. Sign in again to talk\.$/ }).waitFor(LIVE);
    expect(await page.getByTestId("connection-status").innerText()).toBe("connected");
    expect(await page.getByTestId("voice-end").count()).toBe(0);
    await page.getByTestId("voice-call-again").waitFor();
    await page.getByTestId("tab-missions").click();
    await page.getByTestId("missions-panel").waitFor();
    await page.screenshot({ path: resolve(artifacts, "voice-refused.png"), fullPage: true });
  });

  it("shows, on a phone, the interim transcript while one speaks, and the SDK's startup failure as voice unavailable", async () => {
    const { page } = await projectPage(`voice phone ${Date.now()}`, { viewport: { width: 390, height: 844 } });
    // A voice server speaking the SDK's protocol: the first call hears speech and reports it as it
    // comes; every later call fails to start as `withVoice` reports a transcriber that cannot start.
    let calls = 0;
    const received: string[] = [];
    await page.routeWebSocket(/\/agents\/tech-lead-voice\//, (ws) => {
      const send = (frame: object) => ws.send(JSON.stringify(frame));
      let audioFrames = 0;
      send({ type: "welcome", protocol_version: 1 });
      send({ type: "status", status: "idle" });
      ws.onMessage((message) => {
        if (typeof message !== "string") {
          audioFrames++;
          if (audioFrames === 5) send({ type: "transcript_interim", text: "list the" });
          return;
        }
        const frame = JSON.parse(message) as { type: string };
        received.push(frame.type);
        if (frame.type === "start_call") {
          calls++;
          if (calls === 1) {
            send({ type: "audio_config", format: "wav", sampleRate: 16000 });
            send({ type: "status", status: "listening" });
          } else {
            send({ type: "error", message: "Speech recognition failed to start", code: "stt_startup_failed", stage: "stt", retryable: false });
            send({ type: "status", status: "idle" });
          }
        }
        if (frame.type === "end_call") send({ type: "status", status: "idle" });
      });
    });

    await page.getByTestId("talk-toggle").click();
    await page.getByTestId("voice-status").filter({ hasText: /^listening$/ }).waitFor(LIVE);
    await page.getByTestId("voice-interim").filter({ hasText: "list the…" }).waitFor(LIVE);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: resolve(artifacts, "voice-phone-listening.png"), fullPage: true });
    await page.getByTestId("voice-end").click();
    await page.getByTestId("voice-status").filter({ hasText: /^ended$/ }).waitFor();
    expect(await page.getByTestId("voice-interim").count()).toBe(0);

    await page.getByTestId("voice-call-again").click();
    await page.getByTestId("voice-status").filter({ hasText: /^unavailable$/ }).waitFor(LIVE);
    expect(await page.getByTestId("voice-problem").innerText()).toBe("Voice is unavailable: Speech recognition failed to start");
    const calling = new Set(["hello", "start_call", "end_call"]);
    expect(received.filter((type) => calling.has(type))).toEqual(["hello", "start_call", "end_call", "hello", "start_call", "end_call"]);
    // Nothing else broke: the project socket is up and the chat still sends.
    expect(await page.getByTestId("connection-status").innerText()).toBe("connected");
    await page.getByTestId("session-title-input").fill("after voice");
    await page.getByTestId("session-create-button").click();
    await page.waitForURL(/\/sessions\/ses_[0-9A-Z]+$/);
    await page.getByTestId("chat-input").fill("typed instead");
    await page.getByTestId("chat-send-button").click();
    await page.getByTestId("chat-message").filter({ hasText: "typed instead" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: resolve(artifacts, "voice-phone-unavailable.png"), fullPage: true });
  });
});
