/**
 * CLI entry of the local runner: `node src/sandbox/runner/main.ts`.
 *
 * Environment: RUNNER_PORT (default 8788), RUNNER_HOST (default 127.0.0.1),
 * SAM_RUNNER_SECRET (required), SAM_WORKSPACES_DIR (default `.sam/workspaces`),
 * SAM_UNSAFE_NO_SANDBOX=1 (run commands without bubblewrap when it is unavailable),
 * SAM_REPO_CACHE_DIR (the per-project cache of repository clones; default `<workspaces>/../repo-cache`).
 * Exits 1 on bad configuration; exits 0 after SIGTERM/SIGINT once the server has closed.
 *
 * VM mode (issue 16; `SAM_RUNNER_MODE=vm`, set by a VM's user data, src/sandbox/vm/user-data.ts):
 * no listening port; the runner connects out to SAM (`vm-agent.ts`). Environment: SAM_URL,
 * SAM_VM_TASK, SAM_VM_TOKEN (the one-time registration token), SAM_VM_NETWORK=1 (workspaces get
 * the network), SAM_WORKSPACES_DIR. Exits 1 when SAM refuses it.
 */
import { startRunner } from "./server.ts";
import { startVmAgent } from "./vm-agent.ts";

/** VM mode: serve the Workspace port over an outbound socket to SAM until refused or stopped. */
async function vmMain(): Promise<void> {
  const samUrl = process.env.SAM_URL ?? "";
  const taskId = process.env.SAM_VM_TASK ?? "";
  const registrationToken = process.env.SAM_VM_TOKEN ?? "";
  if (!samUrl || !taskId || !registrationToken) {
    console.error("runner (vm mode): SAM_URL, SAM_VM_TASK and SAM_VM_TOKEN must be set (the VM's user data sets them)");
    process.exit(1);
  }
  const agent = await startVmAgent({
    samUrl,
    taskId,
    registrationToken,
    workspacesDir: process.env.SAM_WORKSPACES_DIR ?? ".sam/vm-workspaces",
    network: process.env.SAM_VM_NETWORK === "1",
    allowUnsandboxed: process.env.SAM_UNSAFE_NO_SANDBOX === "1",
  });
  delete process.env.SAM_VM_TOKEN;
  const stop = (code: number): void => {
    agent.close().then(
      () => process.exit(code),
      () => process.exit(1),
    );
  };
  void agent.refused.then(() => stop(1));
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
}

async function main(): Promise<void> {
  if (process.env.SAM_RUNNER_MODE === "vm") return vmMain();
  const secret = process.env.SAM_RUNNER_SECRET ?? "";
  if (secret === "") {
    console.error("runner: SAM_RUNNER_SECRET is not set; set it to the shared secret the Worker uses (e.g. `openssl rand -hex 32`).");
    process.exit(1);
  }
  const portText = process.env.RUNNER_PORT ?? "8788";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`runner: RUNNER_PORT must be a port number (0-65535), got ${JSON.stringify(portText)}`);
    process.exit(1);
  }
  const runner = await startRunner({
    port,
    host: process.env.RUNNER_HOST ?? "127.0.0.1",
    secret,
    workspacesDir: process.env.SAM_WORKSPACES_DIR ?? ".sam/workspaces",
    allowUnsandboxed: process.env.SAM_UNSAFE_NO_SANDBOX === "1",
    repoCacheDir: process.env.SAM_REPO_CACHE_DIR || undefined,
  });
  console.log(`runner listening on ${runner.url}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    runner.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: unknown) => {
  console.error(`runner: failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
