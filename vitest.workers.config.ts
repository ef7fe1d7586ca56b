import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_RUNNER_SECRET, TEST_VM_RUNNER_SECRET } from "./test/workers/global-setup.ts";
import { TEST_GITHUB_APP_ID } from "./test/workers/github-app-fixture.ts";

/** Token of the local user in the Workers-runtime tests. */
const TEST_DEV_TOKEN = "sam_pat_test_local_token_0123456789";
/** AES-GCM key (32 bytes, base64) that encrypts credentials in the tests. */
const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      wrangler: { configPath: "./wrangler.jsonc" },
      remoteBindings: false,
      miniflare: {
        bindings: {
          SAM_MODE: "local",
          SAM_DEV_TOKEN: TEST_DEV_TOKEN,
          SAM_RUNNER_URL: inject("runnerUrl"),
          SAM_RUNNER_SECRET: TEST_RUNNER_SECRET,
          SAM_COMPAT_BASE_URL: `${inject("fakeModelUrl")}/v1`,
          AI_GATEWAY_BASE_URL: `${inject("fakeModelUrl")}/gateway`,
          AI_GATEWAY_TOKEN: "test-gateway-token",
          ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
          TOKEN_HASH_KEY: "test-token-hash-key",
          GITHUB_CLIENT_ID: "fake-client-id",
          GITHUB_CLIENT_SECRET: "fake-client-secret",
          GITHUB_OAUTH_BASE_URL: inject("fakeGitHubUrl"),
          GITHUB_API_BASE_URL: inject("fakeGitHubUrl"),
          // SAM's GitHub App (repository credentials as installations): the fake GitHub holds its public key.
          GITHUB_APP_ID: TEST_GITHUB_APP_ID,
          GITHUB_APP_PRIVATE_KEY: inject("githubAppPrivateKey"),
          SAM_COMPAT_PRICES: JSON.stringify({ "fake-model-2": { input: 1000, output: 2000 } }),
          FAKE_MODEL_URL: inject("fakeModelUrl"),
          // Voice: SAM's OpenAI-compatible speech providers against a fake speech server (no path: `/v1` is added).
          SAM_SPEECH_BASE_URL: inject("fakeSpeechUrl"),
          SAM_SPEECH_API_KEY: "test-speech-key",
          FAKE_SPEECH_URL: inject("fakeSpeechUrl"),
          // Notifications: VAPID keys made for the run, a fake webhook receiver and push service, short retries.
          VAPID_PUBLIC_KEY: inject("vapidPublicKey"),
          VAPID_PRIVATE_KEY: inject("vapidPrivateKey"),
          VAPID_SUBJECT: "mailto:tests@sam.test",
          SAM_NOTIFICATION_RETRY_SECONDS: "0.2,0.2,0.2,0.2",
          FAKE_NOTIFY_URL: inject("fakeNotifyUrl"),
          PUSH_BROWSER: inject("pushBrowser"),
          // VMs (issue 16): the local VM host (dry run) as Hetzner Cloud; a test plays the VM's runner via VM_RUNNER_URL.
          HETZNER_API_TOKEN: inject("vmHostToken"),
          HETZNER_API_BASE_URL: inject("vmHostUrl"),
          SAM_PUBLIC_URL: "http://sam.test",
          VM_RUNNER_URL: inject("vmRunnerUrl"),
          VM_RUNNER_SECRET: TEST_VM_RUNNER_SECRET,
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
        },
      },
    })),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    globalSetup: ["test/workers/global-setup.ts"],
    setupFiles: ["test/workers/apply-migrations.ts"],
    testTimeout: 30_000,
  },
});
