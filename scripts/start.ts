/**
 * `npm start`: the whole system, locally and offline. Builds the UI, applies D1 migrations,
 * starts the sandbox runner (in this process) and `wrangler dev` in local mode, then prints the
 * UI address and a login link. Runs in the foreground; Ctrl-C or SIGTERM stops everything.
 *
 * Configuration (environment):
 *   PORT                  HTTP port of the UI and API (default 8787)
 *   SAM_DEV_TOKEN         pins the local user's token (else one is made once into .sam/local-token)
 *   SAM_STATE_DIR         where actors and D1 keep their data (default .sam/state)
 *   SAM_WORKSPACES_DIR    where task workspaces live (default .sam/workspaces)
 *   SAM_COMPAT_BASE_URL   an OpenAI-compatible server for `compat/<name>` models (+ SAM_COMPAT_API_KEY,
 *                         SAM_COMPAT_PRICES)
 *   ENCRYPTION_KEY        encrypts provider credentials (else one is made once into .dev.vars)
 *   TOKEN_HASH_KEY        keys the stored hashes of tokens (else one is made once into .dev.vars)
 *   AI_GATEWAY_BASE_URL, AI_GATEWAY_TOKEN, CF_ACCOUNT_ID, AI_GATEWAY_ID   AI Gateway, passed on if set
 *   SAM_MIN_START_USD, SAM_MIN_START_TOKENS   minimum budget left to start a task (0.01 USD, 1000 tokens)
 *   SAM_UNSAFE_NO_SANDBOX=1  run agent commands without bubblewrap (never do this on a shared machine)
 *   SAM_SPEECH_BASE_URL   an OpenAI-compatible speech server for voice (+ SAM_SPEECH_API_KEY); unset: the local
 *                         speech service (src/speech/: pocketsphinx + espeak-ng) is started and used
 *   VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT   browser push's keys (else a pair is made once per
 *                         state directory into its vapid.json)
 *   SAM_NOTIFICATION_RETRY_SECONDS   seconds between a failed notification delivery's retries (default 10,60,300,1800)
 *   HETZNER_API_TOKEN, HETZNER_API_BASE_URL   tasks' VMs on Hetzner Cloud; unset: the local VM host
 *                         (src/sandbox/vm-host/) stands in for it on loopback
 *   GITHUB_API_BASE_URL, GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY   GitHub's REST API and SAM's GitHub App
 *                         (a project's repository credential may then be an installation of it)
 *   SAM_SKIP_UI_BUILD=1   reuse an existing dist/ui
 *   X_LOCAL_OBSERVABILITY, X_LOCAL_EXPLORER   wrangler's local trace collector and explorer (default false)
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { detectIsolation } from "../src/sandbox/runner/sandbox.ts";
import { startRunner } from "../src/sandbox/runner/server.ts";
import { localVmHostToken, startVmHost } from "../src/sandbox/vm-host/server.ts";
import { startSpeechService, type RunningSpeechService } from "../src/speech/server.ts";
import { detectSpeechTools, INSTALL_COMMAND } from "../src/speech/tools.ts";
import { localWranglerEnv } from "./wrangler-env.ts";
import { generateVapidKeys, type VapidKeys } from "./vapid-keys.ts";

const root = resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT ?? 8787);
const samDir = resolve(root, ".sam");
const stateDir = resolve(process.env.SAM_STATE_DIR ?? resolve(samDir, "state"));
const workspacesDir = resolve(process.env.SAM_WORKSPACES_DIR ?? resolve(samDir, "workspaces"));
const unsafe = process.env.SAM_UNSAFE_NO_SANDBOX === "1";
const bin = (name: string) => resolve(root, "node_modules/.bin", name);
const quietWrangler = localWranglerEnv();

function log(line: string): void {
  process.stdout.write(`[sam] ${line}\n`);
}

/** The local user's token: SAM_DEV_TOKEN, else the one kept in .sam/local-token (made once). */
function localToken(): string {
  if (process.env.SAM_DEV_TOKEN) return process.env.SAM_DEV_TOKEN;
  const file = resolve(samDir, "local-token");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const token = `sam_pat_${randomBytes(32).toString("base64url")}`;
  mkdirSync(samDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * A secret of the local Worker: the environment's `name`, else the one in `.dev.vars`
 * (git-ignored), which the first start makes (32 random bytes, base64) and later starts reuse —
 * credentials stored under one ENCRYPTION_KEY cannot be read under another, and tokens stored
 * under one TOKEN_HASH_KEY are not found under another. If two starts race to make it, both use
 * the first line written. `purpose` is said in the log line when it is made.
 */
function devVarsSecret(name: "ENCRYPTION_KEY" | "TOKEN_HASH_KEY", purpose: string): string {
  const fromEnv = process.env[name];
  if (fromEnv) return fromEnv;
  const file = resolve(root, ".dev.vars");
  const pattern = new RegExp(`^${name}=(\\S+)\\s*$`, "m");
  const read = () => (existsSync(file) ? pattern.exec(readFileSync(file, "utf8"))?.[1] : undefined);
  const existing = read();
  if (existing) return existing;
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  appendFileSync(file, `${before && !before.endsWith("\n") ? "\n" : ""}${name}=${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  log(`made a ${name} for ${purpose} in .dev.vars (keep it)`);
  const made = read();
  if (!made) throw new Error(`.dev.vars has no readable ${name}`);
  return made;
}

/**
 * Browser push's VAPID keys (docs/notifications.md): `VAPID_PUBLIC_KEY`, `VAPID_PRIVATE_KEY` and
 * `VAPID_SUBJECT` from the environment when all are set, else a pair made once per state
 * directory (`vapid.json`, private: subscriptions made under one key are refused under another)
 * with the subject `mailto:sam@localhost`.
 */
async function vapidVars(): Promise<Record<string, string>> {
  const { VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT } = process.env;
  if (VAPID_PUBLIC_KEY && VAPID_PRIVATE_KEY && VAPID_SUBJECT) return { VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT };
  const file = resolve(stateDir, "vapid.json");
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify(await generateVapidKeys()), { mode: 0o600 });
    log("made VAPID keys for browser push in the state directory (vapid.json)");
  }
  const keys = JSON.parse(readFileSync(file, "utf8")) as VapidKeys;
  return { VAPID_PUBLIC_KEY: keys.publicKey, VAPID_PRIVATE_KEY: keys.privateKey, VAPID_SUBJECT: VAPID_SUBJECT ?? "mailto:sam@localhost" };
}

/**
 * `wrangler dev` runs in its own process group (node, esbuild, workerd), recorded here so that
 * a start after a crash (kill -9 of this script) can stop the orphaned group holding the data.
 */
function wranglerPidFile(): string {
  return resolve(stateDir, "wrangler.pid");
}

/** Stops a wrangler process group left behind by a crashed start over the same state dir. */
function stopOrphanedWrangler(): void {
  const file = wranglerPidFile();
  if (!existsSync(file)) return;
  const pgid = Number(readFileSync(file, "utf8").trim());
  rmSync(file, { force: true });
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  try {
    // Only a process whose command line is wrangler's is ours to stop.
    if (!readFileSync(`/proc/${pgid}/cmdline`, "utf8").includes("wrangler")) return;
    process.kill(-pgid, "SIGKILL");
    log(`stopped wrangler (process group ${pgid}) left over from a previous run`);
  } catch {
    // gone already
  }
}

/** Runs a build step; its output is shown only when it fails. */
function run(command: string, args: string[], what: string): void {
  log(`${what}...`);
  const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: quietWrangler, encoding: "utf8" });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    log(`${what} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Worker did not answer at ${url} within ${timeoutMs} ms`);
}

/**
 * Voice's speech server: `SAM_SPEECH_BASE_URL` when set (passed on as it is), else the local
 * speech service, started here on a free loopback port with a random key. When espeak-ng or
 * pocketsphinx are missing (or it fails to start) voice is unavailable and everything else runs.
 */
async function startSpeech(): Promise<{ vars: Record<string, string>; service: RunningSpeechService | null; line: string }> {
  if (process.env.SAM_SPEECH_BASE_URL) {
    const vars: Record<string, string> = { SAM_SPEECH_BASE_URL: process.env.SAM_SPEECH_BASE_URL };
    if (process.env.SAM_SPEECH_API_KEY) vars.SAM_SPEECH_API_KEY = process.env.SAM_SPEECH_API_KEY;
    return { vars, service: null, line: `speech: ${process.env.SAM_SPEECH_BASE_URL} (SAM_SPEECH_BASE_URL)` };
  }
  const tools = detectSpeechTools();
  if (!tools.available) {
    log(`voice is unavailable: ${tools.missing.join(", ")} ${tools.missing.length === 1 ? "is" : "are"} not installed; install with: ${INSTALL_COMMAND}`);
    return { vars: {}, service: null, line: "speech: unavailable (voice is off)" };
  }
  try {
    const key = process.env.SAM_SPEECH_API_KEY || randomBytes(32).toString("base64url");
    const service = await startSpeechService({ port: 0, apiKey: key, log: (line) => log(line) });
    return { vars: { SAM_SPEECH_BASE_URL: `${service.url}/v1`, SAM_SPEECH_API_KEY: key }, service, line: `speech: ${service.url}/v1 (local: pocketsphinx + espeak-ng)` };
  } catch (error) {
    log(`voice is unavailable: the local speech service did not start: ${error instanceof Error ? error.message : String(error)}`);
    return { vars: {}, service: null, line: "speech: unavailable (voice is off)" };
  }
}

/** Stops whatever has been started so far; set once something is running. */
let stopAll: ((code: number) => Promise<void>) | null = null;

async function main(): Promise<void> {
  const isolation = detectIsolation();
  if (!isolation.available) {
    log("bubblewrap is not installed: agent commands cannot run isolated.");
    log("  install it with: sudo apt-get install -y bubblewrap");
    if (unsafe) log("!!! SAM_UNSAFE_NO_SANDBOX=1: agent commands will run UNISOLATED on this machine !!!");
    else log("  until then, tasks' commands are refused (SAM_UNSAFE_NO_SANDBOX=1 overrides, unsafely).");
  }

  if (process.env.SAM_SKIP_UI_BUILD === "1" && existsSync(resolve(root, "dist/ui/index.html")) && existsSync(resolve(root, "dist/ui/embed.js")) && existsSync(resolve(root, "dist/ui/vm/runner.js")) && existsSync(resolve(root, "dist/ui/vm/search-worker.js"))) log("reusing dist/ui");
  else {
    run(bin("vite"), ["build", "--logLevel", "warn"], "building the UI");
    // The embeddable widget (/embed.js) after it: the UI's build empties dist/ui.
    run(bin("vite"), ["build", "--config", "vite.embed.config.ts", "--logLevel", "warn"], "building the embeddable widget (/embed.js)");
    // The runner's bundle for VMs (/vm/runner.js and its search worker; issue 16).
    run(bin("vite"), ["build", "--config", "vite.vm-runner.config.ts", "--logLevel", "warn"], "building the VM runner (/vm/runner.js)");
    run(bin("vite"), ["build", "--config", "vite.vm-runner.config.ts", "--mode", "search-worker", "--logLevel", "warn"], "building the VM runner's search worker");
  }

  mkdirSync(stateDir, { recursive: true });
  stopOrphanedWrangler();
  run(bin("wrangler"), ["d1", "migrations", "apply", "sam", "--local", "--persist-to", stateDir], "applying D1 migrations");

  const token = localToken();
  const runnerSecret = randomBytes(32).toString("base64url");
  const runner = await startRunner({ port: 0, secret: runnerSecret, workspacesDir, allowUnsandboxed: unsafe });
  const speech = await startSpeech();
  // Tasks' VMs (issue 16): the local VM host stands in for Hetzner Cloud unless HETZNER_API_TOKEN is set.
  const vmHostToken = localVmHostToken();
  const vmHost = process.env.HETZNER_API_TOKEN ? null : await startVmHost({ port: 0, token: vmHostToken, env: unsafe ? { SAM_UNSAFE_NO_SANDBOX: "1" } : {}, log });

  // Secrets go through a private env file, not the command line (visible in `ps`).
  const vars: Record<string, string> = {
    SAM_MODE: "local",
    SAM_DEV_TOKEN: token,
    SAM_RUNNER_URL: runner.url,
    SAM_RUNNER_SECRET: runnerSecret,
    HETZNER_API_TOKEN: process.env.HETZNER_API_TOKEN || vmHostToken,
    ...(vmHost ? { HETZNER_API_BASE_URL: vmHost.url } : process.env.HETZNER_API_BASE_URL ? { HETZNER_API_BASE_URL: process.env.HETZNER_API_BASE_URL } : {}),
    // Links SAM writes outside itself (a pull request's link to the transcript) use this origin.
    SAM_PUBLIC_URL: process.env.SAM_PUBLIC_URL || `http://127.0.0.1:${port}`,
    ENCRYPTION_KEY: devVarsSecret("ENCRYPTION_KEY", "provider credentials"),
    TOKEN_HASH_KEY: devVarsSecret("TOKEN_HASH_KEY", "the hashes of tokens"),
    ...speech.vars,
    ...(await vapidVars()),
  };
  const passed = [
    "SAM_COMPAT_BASE_URL",
    "SAM_COMPAT_API_KEY",
    "SAM_COMPAT_PRICES",
    "AI_GATEWAY_BASE_URL",
    "AI_GATEWAY_TOKEN",
    "CF_ACCOUNT_ID",
    "AI_GATEWAY_ID",
    "SAM_MIN_START_USD",
    "SAM_MIN_START_TOKENS",
    "SAM_OPEN_SIGNUP",
    "GITHUB_CLIENT_ID",
    "GITHUB_CLIENT_SECRET",
    "GITHUB_OAUTH_BASE_URL",
    "GITHUB_API_BASE_URL",
    "GITHUB_APP_ID",
    "GITHUB_APP_PRIVATE_KEY",
    "SAM_SPEECH_TRANSCRIPTION_MODEL",
    "SAM_SPEECH_TTS_MODEL",
    "SAM_SPEECH_VOICE",
    "SAM_SPEECH_PRICES",
    "SAM_NOTIFICATION_RETRY_SECONDS",
  ];
  for (const name of passed) if (process.env[name]) vars[name] = process.env[name];
  const envFile = resolve(stateDir, "worker.env");
  // One line per variable: a value's line breaks (a PEM key's) are written escaped as `\n`.
  writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${v.replace(/\r?\n/g, "\\n")}`).join("\n") + "\n", { mode: 0o600 });

  const wrangler = spawn(
    bin("wrangler"),
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir, "--env-file", envFile, "--show-interactive-dev-session=false", "--log-level", process.env.SAM_WRANGLER_LOG_LEVEL ?? "warn"],
    { cwd: root, env: quietWrangler, stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
  if (wrangler.pid) writeFileSync(wranglerPidFile(), `${wrangler.pid}\n`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("stopping...");
    if (wrangler.pid && wrangler.exitCode === null) {
      try {
        process.kill(-wrangler.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const killTimer = setTimeout(() => {
        try {
          if (wrangler.pid) process.kill(-wrangler.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await new Promise<void>((r) => (wrangler.exitCode !== null ? r() : wrangler.once("exit", () => r())));
      clearTimeout(killTimer);
    }
    rmSync(wranglerPidFile(), { force: true });
    await runner.close();
    await vmHost?.close();
    await speech.service?.close();
    process.exit(code);
  };
  stopAll = stop;
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  wrangler.on("exit", (code) => {
    if (!stopping) {
      log(`wrangler dev exited (${code}); stopping`);
      void stop(1);
    }
  });

  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, wrangler, 60_000);
  const me = await fetch(`${url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  if (!me.ok) throw new Error(`the local user could not sign in (${me.status})`);
  log(`runner: ${runner.url} (isolation: ${isolation.available ? "bubblewrap" : unsafe ? "NONE (unsafe)" : "unavailable"})`);
  log(speech.line);
  log(vmHost ? `VMs are local: ${vmHost.url} stands in for Hetzner Cloud (a "VM" is a runner process in VM mode, still under bubblewrap)` : "VMs: Hetzner Cloud (HETZNER_API_TOKEN)");
  log(`SAM is running at ${url}`);
  log(`login link: ${url}/login#token=${token}`);
  log(`API token (also in .sam/local-token unless SAM_DEV_TOKEN is set): ${token}`);
  log("press Ctrl-C to stop");
}

main().catch(async (error: unknown) => {
  log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
  if (stopAll) await stopAll(1);
  process.exit(1);
});
