/**
 * Starts, in Node, what the Workers-runtime tests reach over loopback: the real sandbox runner
 * (bubblewrap), a fake OpenAI-compatible server standing in for AI Gateway, a fake GitHub
 * (OAuth pages and `/user`) for sign-in, a fake OpenAI-compatible speech server for voice, and a
 * fake webhook receiver and push service for notifications (with the test browser it pushes to
 * and the VAPID keys made for the run), and for VMs (issue 16) the local VM host speaking
 * Hetzner's API in dry-run mode (servers are made and listed but their user data is kept, not
 * run: the Worker has no address a process could call back) with a second runner in VM mode
 * that a test, playing the VM, forwards the actor's requests to.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startRunner } from "../../src/sandbox/runner/server.ts";
import { VM_PROFILE } from "../../src/sandbox/runner/sandbox.ts";
import { localVmHostToken, startVmHost } from "../../src/sandbox/vm-host/server.ts";
import { generateKeyPairSync } from "node:crypto";
import { startFakeGitHub } from "../support/fake-github.ts";
import { TEST_GITHUB_APP_ID, TEST_GITHUB_INSTALLATION_ID, TEST_GITHUB_INSTALLATION_REPOSITORIES, TEST_GITHUB_INSTALLATION_TOKEN } from "./github-app-fixture.ts";
import { startFakeOpenAI } from "../support/fake-openai.ts";
import { startFakeSpeech } from "../support/fake-speech.ts";
import { startFakeNotify } from "../support/fake-notify.ts";
import { generateVapidKeys } from "../../scripts/vapid-keys.ts";

/** Shared secret of the test runner. */
export const TEST_RUNNER_SECRET = "test-runner-secret-0123456789";
/** Shared secret of the test's VM-mode runner (what a VM's runner serves locally). */
export const TEST_VM_RUNNER_SECRET = "test-vm-runner-secret-0123456789";


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
    /** The local VM host (dry run): `HETZNER_API_BASE_URL`, and the token it wants. */
    vmHostUrl: string;
    vmHostToken: string;
    /** A runner with the VM profile, for a test playing a VM's runner. */
    vmRunnerUrl: string;
    /** The test GitHub App's private key (PKCS#1 PEM as GitHub hands it out, made for the run; the fake GitHub has its public key). */
    githubAppPrivateKey: string;
  }
}

export default async function setup(project: TestProject) {
  const workspacesDir = mkdtempSync(join(tmpdir(), "sam-test-ws-"));
  const runner = await startRunner({ port: 0, secret: TEST_RUNNER_SECRET, workspacesDir });
  const fake = await startFakeOpenAI();
  // PKCS#1, the format GitHub hands an App's key out in (the Worker converts it for WebCrypto).
  const appKeys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
  const github = await startFakeGitHub(undefined, undefined, {
    app: { appId: TEST_GITHUB_APP_ID, publicKeyPem: appKeys.publicKey, installations: { [TEST_GITHUB_INSTALLATION_ID]: { token: TEST_GITHUB_INSTALLATION_TOKEN, repositories: TEST_GITHUB_INSTALLATION_REPOSITORIES } } },
  });
  const speech = await startFakeSpeech();
  const notify = await startFakeNotify();
  const vapid = await generateVapidKeys();
  const vmHostToken = localVmHostToken();
  const vmHost = await startVmHost({ port: 0, token: vmHostToken, dryRun: true, log: () => {} });
  const vmWorkspacesDir = mkdtempSync(join(tmpdir(), "sam-test-vm-ws-"));
  const vmRunner = await startRunner({ port: 0, secret: TEST_VM_RUNNER_SECRET, workspacesDir: vmWorkspacesDir, profile: VM_PROFILE });
  project.provide("runnerUrl", runner.url);
  project.provide("fakeModelUrl", fake.url);
  project.provide("fakeGitHubUrl", github.url);
  project.provide("githubAppPrivateKey", appKeys.privateKey);
  project.provide("fakeSpeechUrl", speech.url);
  project.provide("fakeNotifyUrl", notify.url);
  project.provide("pushBrowser", JSON.stringify(notify.browser));
  project.provide("vapidPublicKey", vapid.publicKey);
  project.provide("vapidPrivateKey", vapid.privateKey);
  project.provide("vmHostUrl", vmHost.url);
  project.provide("vmHostToken", vmHostToken);
  project.provide("vmRunnerUrl", vmRunner.url);
  return async () => {
    await runner.close();
    await fake.close();
    await github.close();
    await speech.close();
    await notify.close();
    await vmHost.close();
    await vmRunner.close();
    rmSync(workspacesDir, { recursive: true, force: true });
    rmSync(vmWorkspacesDir, { recursive: true, force: true });
  };
}
