/**
 * CLI entry of the local runner: `node src/sandbox/runner/main.ts`.
 *
 * Environment: RUNNER_PORT (default 8788), RUNNER_HOST (default 127.0.0.1),
 * SAM_RUNNER_SECRET (required), SAM_WORKSPACES_DIR (default `.sam/workspaces`),
 * SAM_UNSAFE_NO_SANDBOX=1 (run commands without bubblewrap when it is unavailable).
 * Exits 1 on bad configuration; exits 0 after SIGTERM/SIGINT once the server has closed.
 */
import { startRunner } from "./server.ts";

async function main(): Promise<void> {
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
