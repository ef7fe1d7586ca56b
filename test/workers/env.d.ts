// Test-only bindings added by vitest.workers.config.ts.
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS?: import("cloudflare:test").D1Migration[];
    FAKE_MODEL_URL?: string;
    FAKE_SPEECH_URL?: string;
    FAKE_NOTIFY_URL?: string;
    /** The fake push service's test browser's subscription keys, JSON `{p256dh, auth}`. */
    PUSH_BROWSER?: string;
    /** A runner with the VM profile (global-setup.ts), and its secret: what a test playing a VM's runner forwards to. */
    VM_RUNNER_URL?: string;
    VM_RUNNER_SECRET?: string;
  }
}
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../src/worker.ts");
  }
}
