// Test-only bindings added by vitest.workers.config.ts.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS?: import("cloudflare:test").D1Migration[];
    FAKE_MODEL_URL?: string;
    FAKE_SPEECH_URL?: string;
    FAKE_NOTIFY_URL?: string;
    /** The fake push service's test browser's subscription keys, JSON `{p256dh, auth}`. */
    PUSH_BROWSER?: string;
  }
}
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../src/worker.ts");
  }
}
