/**
 * Starts, in Node, what the Workers-runtime tests reach over loopback: the real sandbox runner
 * (bubblewrap), a fake OpenAI-compatible server standing in for AI Gateway, a fake GitHub
 * (OAuth pages and `/user`) for sign-in, a fake OpenAI-compatible speech server for voice, and a
 * fake webhook receiver and push service for notifications (with the test browser it pushes to
 * and the VAPID keys made for the run).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startRunner } from "../../src/sandbox/runner/server.ts";
import { startFakeGitHub } from "../support/fake-github.ts";
import { startFakeOpenAI } from "../support/fake-openai.ts";
import { startFakeSpeech } from "../support/fake-speech.ts";
import { startFakeNotify } from "../support/fake-notify.ts";
import { generateVapidKeys } from "../../scripts/vapid-keys.ts";

/** Shared secret of the test runner. */
export const TEST_RUNNER_SECRET = "test-runner-secret-0123456789";

declare module "vitest" {
  interface ProvidedContext {
    runnerUrl: string;
    fakeModelUrl: string;
    fakeGitHubUrl: string;
    fakeSpeechUrl: string;
    fakeNotifyUrl: string;
    /** The fake push service's test browser: its subscription keys, as JSON `{p256dh, auth}`. */
    pushBrowser: string;
    vapidPublicKey: string;
    vapidPrivateKey: string;
  }
}

export default async function setup(project: TestProject) {
  const workspacesDir = mkdtempSync(join(tmpdir(), "sam-test-ws-"));
  const runner = await startRunner({ port: 0, secret: TEST_RUNNER_SECRET, workspacesDir });
  const fake = await startFakeOpenAI();
  const github = await startFakeGitHub();
  const speech = await startFakeSpeech();
  const notify = await startFakeNotify();
  const vapid = await generateVapidKeys();
  project.provide("runnerUrl", runner.url);
  project.provide("fakeModelUrl", fake.url);
  project.provide("fakeGitHubUrl", github.url);
  project.provide("fakeSpeechUrl", speech.url);
  project.provide("fakeNotifyUrl", notify.url);
  project.provide("pushBrowser", JSON.stringify(notify.browser));
  project.provide("vapidPublicKey", vapid.publicKey);
  project.provide("vapidPrivateKey", vapid.privateKey);
  return async () => {
    await runner.close();
    await fake.close();
    await github.close();
    await speech.close();
    await notify.close();
    rmSync(workspacesDir, { recursive: true, force: true });
  };
}
