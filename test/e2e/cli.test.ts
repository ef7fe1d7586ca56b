/**
 * The `sam` CLI run as a real process (`bin/sam.js`) against the stack started as `npm start`
 * starts it: `--token` login and a device-flow login approved (and one denied) by a second
 * client, projects, `tasks submit --wait` with its exit codes, `tasks logs`, a mission followed
 * to its end, `--json` output parsed, a bad flag, an unreachable server, an expired token, and
 * `sam chat` driven in a real terminal (tmux) with the screen checked.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage, MissionView, TaskView } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";

const root = resolve(import.meta.dirname, "../..");
const node = resolve(root, "node_modules/.bin/node");
const samBin = resolve(root, "bin/sam.js");

let stack: Stack;
let home: string;
let projectId: string;

beforeAll(async () => {
  stack = await startStack();
  home = mkdtempSync(join(tmpdir(), "sam-cli-home-"));
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "cli" } });
  projectId = project.id;
});

afterAll(async () => {
  spawnSync("tmux", ["-L", "sam-cli-test", "kill-server"]);
  await stack?.stop();
});

/** A finished CLI run. */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run: its own config home, no inherited SAM_* variables. */
function cliEnv(extra: Record<string, string> = {}, configHome = home): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: configHome, XDG_CONFIG_HOME: join(configHome, ".config"), ...extra };
  return env;
}

/** Starts `sam args...`; `done` resolves with its exit code and output. */
function start(args: string[], env: NodeJS.ProcessEnv = cliEnv()): { done: Promise<Run>; stderr: () => string } {
  const child = spawn(node, [samBin, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const done = new Promise<Run>((resolveRun) => child.on("close", (code) => resolveRun({ code, stdout, stderr })));
  return { done, stderr: () => stderr };
}

/** Runs `sam args...` to its end. */
function sam(args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return start(args, env).done;
}

/** Writes `content` to a new file in the config home; returns its path. */
function file(name: string, content: unknown): string {
  const path = join(home, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("the sam CLI, as a process", () => {
  it("logs in with --token (config 0600), says who it is, and makes and lists projects as JSON", async () => {
    const login = await sam(["auth", "login", "--token", stack.token, "--url", stack.url]);
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    const config = join(home, ".config/sam/config.json");
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, "utf8"))).toMatchObject({ url: stack.url, token: stack.token });

    const status = await sam(["auth", "status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ url: stack.url, source: "config", user: { status: "active" } });

    const created = await sam(["projects", "create", "from the terminal", "--json"]);
    expect(created.code).toBe(0);
    const project = JSON.parse(created.stdout) as { id: string; name: string };
    expect(project.name).toBe("from the terminal");
    const listed = JSON.parse((await sam(["--json", "projects", "list"])).stdout) as { projects: { id: string }[] };
    expect(listed.projects.map((p) => p.id)).toContain(project.id);

    // SAM_API_URL + SAM_API_TOKEN override the saved login.
    const elsewhere = mkdtempSync(join(tmpdir(), "sam-cli-env-"));
    const fromEnv = await sam(["auth", "status", "--json"], cliEnv({ SAM_API_URL: stack.url, SAM_API_TOKEN: stack.token }, elsewhere));
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ source: "environment" });
  });

  it("logs in with the device flow approved by a second client, and says so clearly when it is denied", async () => {
    const configHome = mkdtempSync(join(tmpdir(), "sam-cli-device-"));
    const login = start(["auth", "login", "--url", stack.url, "--no-browser"], cliEnv({}, configHome));
    const userCode = await pollUntil("the CLI to print the user code", async () => /code ([A-Z0-9-]{6,})/.exec(login.stderr())?.[1] ?? null, (code) => code !== null);
    expect(login.stderr()).toContain(`${stack.url}/device?user_code=${userCode}`);
    await call(stack, "/api/auth/device/approve", { json: { user_code: userCode } });
    const done = await login.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/logged in to .* as /);
    const saved = JSON.parse(readFileSync(join(configHome, ".config/sam/config.json"), "utf8")) as { token: string };
    expect(saved.token).toMatch(/^sam_pat_/);
    expect(saved.token).not.toBe(stack.token);
    expect((await sam(["auth", "status"], cliEnv({}, configHome))).code).toBe(0);

    const denied = start(["auth", "login", "--url", stack.url, "--no-browser"], cliEnv({}, mkdtempSync(join(tmpdir(), "sam-cli-denied-"))));
    const deniedCode = await pollUntil("the second user code", async () => /code ([A-Z0-9-]{6,})/.exec(denied.stderr())?.[1] ?? null, (code) => code !== null);
    await call(stack, "/api/auth/device/deny", { json: { user_code: deniedCode } });
    const refused = await denied.done;
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n").at(-1)).toBe("sam: the login was denied");
  }, 60_000);

  it("submit --wait exits 0 for a task that succeeded and 1 for one that failed; logs show the tool calls", async () => {
    const script = file("ok-script.json", [{ toolCalls: [{ toolName: "bash", input: { command: "cat notes.txt; echo done > out.txt" } }] }, { text: "Wrote out.txt." }]);
    const seed = file("notes.txt", "seeded from the terminal\n");
    const ok = await sam(["tasks", "submit", "--project", projectId, "--prompt", "write out.txt", "--script-file", script, "--file", `notes.txt=${seed}`, "--wait"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Wrote out.txt.");
    expect(ok.stdout).toContain("changed: out.txt");
    expect(ok.stderr).toContain("→ bash cat notes.txt; echo done > out.txt");
    const taskId = /(tsk_[0-9A-Z]{26})/.exec(ok.stdout)?.[1];
    expect(taskId).toBeDefined();

    const logs = await sam(["tasks", "logs", taskId!]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("→ bash cat notes.txt");
    expect(logs.stdout).toContain("seeded from the terminal");
    const status = JSON.parse((await sam(["tasks", "status", taskId!, "--json"])).stdout) as TaskView;
    expect(status.status).toBe("succeeded");
    const logsJson = JSON.parse((await sam(["tasks", "logs", taskId!, "--json"])).stdout) as { events: { type: string }[] };
    expect(logsJson.events.map((e) => e.type)).toContain("tool_result");

    const long = file("long-script.json", [1, 2, 3].map((n) => ({ toolCalls: [{ toolName: "bash", input: { command: `echo ${n}` } }] })));
    const failed = await sam(["tasks", "submit", "--project", projectId, "--prompt", "too long", "--script-file", long, "--max-steps", "1", "--wait", "--json"]);
    expect(failed.code).toBe(1);
    const failedTask = JSON.parse(failed.stdout) as TaskView;
    expect(failedTask.status).toBe("failed");
    expect(failedTask.failure?.code).toBe("step_limit");
  }, 90_000);

  it("missions create --file --wait follows the plan to its end", async () => {
    const bash = (command: string, text: string) => [{ toolCalls: [{ toolName: "bash", input: { command } }] }, { text }];
    const plan = file("plan.json", {
      goal: "two steps",
      tasks: [
        { key: "first", prompt: "first", script: bash("echo one", "first done") },
        { key: "second", prompt: "second", dependsOn: ["first"], script: bash("echo two", "second done") },
      ],
    });
    const run = await sam(["missions", "create", "--project", projectId, "--file", plan, "--wait", "--json"]);
    expect(run.code).toBe(0);
    const mission = JSON.parse(run.stdout) as MissionView;
    expect(mission.status).toBe("succeeded");
    expect(mission.tasks.map((t) => t.status)).toEqual(["succeeded", "succeeded"]);
    const status = await sam(["missions", "status", mission.id]);
    expect(status.stdout).toMatch(/second\s+succeeded/);
  }, 90_000);

  it("a bad flag exits 2, an unreachable server and an expired token exit 1, each with one line and no stack trace", async () => {
    const bad = await sam(["tasks", "submit", "--prompt", "x", "--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual(["error: unknown option '--nope'"]);

    const unreachable = await sam(["projects", "list"], cliEnv({ SAM_API_URL: "http://127.0.0.1:1", SAM_API_TOKEN: "sam_pat_x" }, mkdtempSync(join(tmpdir(), "sam-cli-x-"))));
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unreachable.stderr).toMatch(/^sam: cannot reach SAM at http:\/\/127\.0\.0\.1:1: /);

    // A token that has expired: made for a day, then aged in D1 (the stack's own database).
    const made = await call<{ id: string; token: string }>(stack, "/api/tokens", { json: { name: "short-lived", expiresInDays: 1 } });
    const aged = spawnSync(resolve(root, "node_modules/.bin/wrangler"), ["d1", "execute", "sam", "--local", "--persist-to", stack.stateDir, "--command", `UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = '${made.id}'`], { cwd: root, encoding: "utf8" });
    expect(aged.status, aged.stderr).toBe(0);
    const expired = await sam(["projects", "list"], cliEnv({ SAM_API_URL: stack.url, SAM_API_TOKEN: made.token }, mkdtempSync(join(tmpdir(), "sam-cli-y-"))));
    expect(expired.code).toBe(1);
    expect(expired.stderr.trim().split("\n")).toHaveLength(1);
    expect(expired.stderr).toMatch(/^sam: the token was refused .*expired.*sam auth login/);
  }, 60_000);

  it("sam chat in a terminal: what you type is posted, others' messages and the tech lead's reply appear on screen", async () => {
    await call(stack, `/api/projects/${projectId}`, { method: "PATCH", json: { techLead: { model: "scripted", script: [{ text: "Hello from the lead." }] } } });
    const session = await call<{ id: string }>(stack, `/api/projects/${projectId}/sessions`, { json: { title: "terminal" } });
    const env = cliEnv();
    const command = [node, samBin, "chat", "--project", projectId, "--session", session.id].map((part) => `'${part}'`).join(" ");
    const tmux = (...args: string[]) => spawnSync("tmux", ["-L", "sam-cli-test", ...args], { encoding: "utf8", env: { ...process.env, ...env } });
    expect(tmux("new-session", "-d", "-s", "chat", "-x", "120", "-y", "30", `env HOME='${env.HOME}' XDG_CONFIG_HOME='${env.XDG_CONFIG_HOME}' ${command}`).status).toBe(0);
    const screen = () => tmux("capture-pane", "-p", "-t", "chat").stdout;
    await pollUntil("the chat's banner", async () => screen(), (text) => text.includes(`chatting in "terminal"`));

    tmux("send-keys", "-t", "chat", "hello from the terminal", "Enter");
    await pollUntil(
      "the typed line to be posted",
      async () => (await call<{ messages: ChatMessage[] }>(stack, `/api/projects/${projectId}/sessions/${session.id}/messages`)).messages.map((m) => m.text),
      (texts) => texts.includes("hello from the terminal"),
    );
    await call(stack, `/api/projects/${projectId}/sessions/${session.id}/messages`, { json: { text: "hi, posted over HTTP" } });
    await pollUntil("the other message on screen", async () => screen(), (text) => text.includes("hi, posted over HTTP"));

    tmux("send-keys", "-t", "chat", "@lead are you there?", "Enter");
    await pollUntil("the tech lead's reply on screen", async () => screen(), (text) => text.includes("tech lead: Hello from the lead."), { timeoutMs: 30_000 });

    tmux("send-keys", "-t", "chat", "/quit", "Enter");
    await pollUntil("the chat to end", async () => tmux("has-session", "-t", "chat").status, (status) => status !== 0);
  }, 90_000);
});
