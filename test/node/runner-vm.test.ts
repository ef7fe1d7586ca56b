/**
 * The runner's VM mode (issue 16; src/sandbox/runner/vm-agent.ts) against a stand-in for SAM's
 * `/vm/connect`: a real WebSocket server (ws) that checks the hello like the task actor does.
 * The agent connects out, presents its one-time token once, gets a credential, serves runner
 * requests with the VM profile (real bubblewrap), reconnects with the credential, and stops for
 * good when refused (a wrong or reused token).
 */
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { startVmAgent, type RunningVmAgent } from "../../src/sandbox/runner/vm-agent.ts";
import { vmRunnerFrameSchema, type VmRunnerFrame } from "../../src/sandbox/vm/protocol.ts";
import { exportArchive } from "../../src/sandbox/runner/archive.ts";
import { vmUserData } from "../../src/sandbox/vm/user-data.ts";
import { pollUntil } from "../support/poll.ts";

const TOKEN = "registration-token-0123456789";

/** A fake SAM: accepts TOKEN once (then a credential), records hellos, lets the test send requests. */
async function fakeSam() {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  const port = (server.address() as { port: number }).port;
  const hellos: VmRunnerFrame[] = [];
  const responses = new Map<string, { status: number; body: string }>();
  let tokenUsed = false;
  let credential: string | null = null;
  let current: WebSocket | null = null;
  server.on("connection", (ws, req) => {
    expect(req.url).toMatch(/^\/vm\/connect\?task=tsk_test$/);
    ws.on("message", (data) => {
      const frame = vmRunnerFrameSchema.parse(JSON.parse(String(data)));
      if (frame.type === "response") return void responses.set(frame.id, { status: frame.status, body: frame.body });
      hellos.push(frame);
      if (frame.token === TOKEN && !tokenUsed) {
        tokenUsed = true;
        credential = `cred-${Math.random().toString(36).slice(2)}-xxxxxxxx`;
        current = ws;
        return void ws.send(JSON.stringify({ type: "welcome", credential }));
      }
      if (frame.credential && frame.credential === credential) {
        current = ws;
        return void ws.send(JSON.stringify({ type: "welcome" }));
      }
      ws.close(4001, "wrong or used registration token or credential");
    });
  });
  let next = 1;
  return {
    url: `http://127.0.0.1:${port}`,
    hellos,
    connected: () => current !== null && current.readyState === 1,
    drop: () => current?.terminate(),
    async request(method: string, requestPath: string, body?: unknown) {
      const id = `t${next++}`;
      current!.send(JSON.stringify({ type: "request", id, method, path: requestPath, body: body === undefined ? undefined : JSON.stringify(body) }));
      const answer = await pollUntil(`the answer to ${id}`, () => responses.get(id), (v) => v !== undefined, { timeoutMs: 20_000 });
      return { status: answer!.status, json: JSON.parse(answer!.body) as Record<string, unknown> };
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function agentFor(samUrl: string, token: string): Promise<RunningVmAgent> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-vm-agent-"));
  const agent = await startVmAgent({ samUrl, taskId: "tsk_test", registrationToken: token, workspacesDir: path.join(tmp, "ws"), network: false, log: () => {}, reconnectDelayMs: 50 });
  cleanup.push(async () => {
    await agent.close();
    await fsp.rm(tmp, { recursive: true, force: true });
  });
  return agent;
}

describe("the runner's VM mode", () => {
  it("connects out, registers with its token once, serves the workspace with the VM profile, and reconnects with its credential", async () => {
    const sam = await fakeSam();
    cleanup.push(sam.close);
    const agent = await agentFor(sam.url, TOKEN);
    await pollUntil("the agent's registration", () => agent.registered() && sam.connected(), (v) => v, { timeoutMs: 10_000 });
    expect(sam.hellos[0]).toMatchObject({ type: "hello", token: TOKEN });

    expect((await sam.request("PUT", "/v1/workspaces/tsk_test", { files: { "a.txt": "hello\n" } })).status).toBe(201);
    const exec = await sam.request("POST", "/v1/workspaces/tsk_test/exec", { command: "echo $SAM_RUNTIME $(hostname); cat a.txt" });
    expect(exec.status).toBe(200);
    expect(exec.json.output).toBe("vm sam-vm\nhello\n");

    // The socket drops: the agent comes back with its credential, never the token again.
    sam.drop();
    await pollUntil("the reconnect", () => sam.hellos.length >= 2 && sam.connected(), (v) => v, { timeoutMs: 10_000 });
    expect(sam.hellos[1]).toMatchObject({ type: "hello", credential: expect.any(String) });
    expect(sam.hellos[1]).not.toHaveProperty("token");
    const again = await sam.request("POST", "/v1/workspaces/tsk_test/read", { path: "a.txt" });
    expect(again.json.content).toBe("hello\n");
  });

  it("stops when SAM refuses it: a wrong token, or a token already used", async () => {
    const sam = await fakeSam();
    cleanup.push(sam.close);
    const wrong = await agentFor(sam.url, "not-the-registration-token");
    await wrong.refused;
    expect(wrong.registered()).toBe(false);

    const first = await agentFor(sam.url, TOKEN);
    await pollUntil("the first registration", () => first.registered(), (v) => v, { timeoutMs: 10_000 });
    const reused = await agentFor(sam.url, TOKEN);
    await reused.refused;
    expect(reused.registered()).toBe(false);
  });
});

describe("moving a workspace (archive.ts)", () => {
  it("exports files and the diff base, leaving symlinks out", async () => {
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-archive-"));
    cleanup.push(() => fsp.rm(tmp, { recursive: true, force: true }));
    await fsp.mkdir(path.join(tmp, "files/src"), { recursive: true });
    await fsp.mkdir(path.join(tmp, "base"), { recursive: true });
    await fsp.writeFile(path.join(tmp, "files/src/x.bin"), Buffer.from([0, 255, 1]));
    await fsp.writeFile(path.join(tmp, "base/orig.txt"), "o");
    await fsp.symlink("/etc/passwd", path.join(tmp, "files/link"));
    const archive = await exportArchive(path.join(tmp, "files"), path.join(tmp, "base"));
    expect(Buffer.from(archive.files["src/x.bin"], "base64")).toEqual(Buffer.from([0, 255, 1]));
    expect(archive.base).toEqual({ "orig.txt": Buffer.from("o").toString("base64") });
    expect(archive.skipped).toEqual(["link"]);
  });
});

describe("a VM's user data (user-data.ts)", () => {
  it("is a bash script that fetches the runner from SAM and starts it in VM mode with the task and token", () => {
    const script = vmUserData({ samUrl: "https://sam.example.com/ignored", taskId: "tsk_1", registrationToken: "tok_abc", network: true });
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    expect(script).toContain("curl -fsSL 'https://sam.example.com/vm/runner.js' -o runner.js");
    expect(script).toContain("export SAM_RUNNER_MODE=vm");
    expect(script).toContain("export SAM_VM_TASK='tsk_1'");
    expect(script).toContain("export SAM_VM_TOKEN='tok_abc'");
    expect(script).toContain("export SAM_VM_NETWORK=1");
    expect(() => vmUserData({ samUrl: "https://sam.example.com", taskId: "tsk_1'; rm -rf /", registrationToken: "t", network: false })).toThrow(/task id/);
  });
});
