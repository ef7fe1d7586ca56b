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
import { exportPart, importPart } from "../../src/sandbox/runner/archive.ts";
import { moveWorkspace } from "../../src/actors/task/workspace-move.ts";
import type { WorkspaceChunk } from "../../src/sandbox/vm/protocol.ts";
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

describe("moving a workspace in parts (archive.ts)", () => {
  /** A workspace of `files/` and `base/` under a new temporary directory. */
  async function workspaceDir(): Promise<{ files: string; base: string }> {
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-archive-"));
    cleanup.push(() => fsp.rm(tmp, { recursive: true, force: true }));
    const dirs = { files: path.join(tmp, "files"), base: path.join(tmp, "base") };
    await fsp.mkdir(dirs.files, { recursive: true });
    await fsp.mkdir(dirs.base, { recursive: true });
    return dirs;
  }

  it("exports files and the diff base, leaving symlinks out, and imports them as they were (contents, empty files, modes)", async () => {
    const from = await workspaceDir();
    await fsp.mkdir(path.join(from.files, "src"));
    await fsp.writeFile(path.join(from.files, "src/x.bin"), Buffer.from([0, 255, 1]));
    await fsp.writeFile(path.join(from.files, "empty"), "");
    await fsp.writeFile(path.join(from.files, "run.sh"), "#!/bin/sh\necho ok\n", { mode: 0o755 });
    await fsp.writeFile(path.join(from.base, "orig.txt"), "o");
    await fsp.symlink("/etc/passwd", path.join(from.files, "link"));
    const part = await exportPart(from.files, from.base);
    expect(part.next).toBeNull();
    expect(part.skipped).toEqual(["link"]);
    expect(part.chunks.map((c) => `${c.tree}:${c.path}`)).toEqual(["files:empty", "files:run.sh", "files:src/x.bin", "base:orig.txt"]);
    const to = await workspaceDir();
    await importPart(to.files, to.base, part.chunks);
    expect(await fsp.readFile(path.join(to.files, "src/x.bin"))).toEqual(Buffer.from([0, 255, 1]));
    expect(await fsp.readFile(path.join(to.files, "empty"), "utf8")).toBe("");
    expect((await fsp.stat(path.join(to.files, "run.sh"))).mode & 0o777).toBe(0o755);
    expect(await fsp.readFile(path.join(to.base, "orig.txt"), "utf8")).toBe("o");
    await expect(fsp.lstat(path.join(to.files, "link"))).rejects.toThrow();
  });

  it("moves a workspace larger than one part in slices, byte for byte, none bigger than the part", async () => {
    const from = await workspaceDir();
    const big = Buffer.alloc(2_500_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
    await fsp.writeFile(path.join(from.files, "big.bin"), big);
    for (let i = 0; i < 30; i++) await fsp.writeFile(path.join(from.files, `small-${String(i).padStart(2, "0")}.txt`), `file ${i}\n`.repeat(2000));
    await fsp.writeFile(path.join(from.base, "big.bin"), big.subarray(0, 1_000_000));
    const to = await workspaceDir();
    const sizes: number[] = [];
    const report = await moveWorkspace(
      { exportPart: (cursor) => exportPart(from.files, from.base, cursor, 1_000_000) },
      {
        importPart: async (chunks: readonly WorkspaceChunk[]) => {
          sizes.push(chunks.reduce((sum, c) => sum + Buffer.from(c.data, "base64").length, 0));
          await importPart(to.files, to.base, chunks);
          return true;
        },
      },
      false,
    );
    expect(report.parts).toBeGreaterThanOrEqual(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1_000_000);
    expect(report.files).toBe(31);
    expect(await fsp.readFile(path.join(to.files, "big.bin"))).toEqual(big);
    expect(await fsp.readFile(path.join(to.base, "big.bin"))).toEqual(big.subarray(0, 1_000_000));
    expect(await fsp.readFile(path.join(to.files, "small-29.txt"), "utf8")).toBe("file 29\n".repeat(2000));
    // Moved again from the first part (a move interrupted halfway): the same result.
    await moveWorkspace({ exportPart: (cursor) => exportPart(from.files, from.base, cursor, 1_000_000) }, { importPart: async (chunks) => (await importPart(to.files, to.base, chunks), false) }, false);
    expect(await fsp.readFile(path.join(to.files, "big.bin"))).toEqual(big);
  });

  it("keeps a part of many empty files small: paths and slices count, at most 5,000 slices a part", async () => {
    const from = await workspaceDir();
    for (let d = 0; d < 12; d++) {
      const dir = path.join(from.files, `dir-${"x".repeat(60)}-${d}`);
      await fsp.mkdir(dir);
      await Promise.all(Array.from({ length: 1000 }, (_, i) => fsp.writeFile(path.join(dir, `empty-${i}`), "")));
    }
    const to = await workspaceDir();
    const bodies: number[] = [];
    const counts: number[] = [];
    const report = await moveWorkspace(
      { exportPart: (cursor) => exportPart(from.files, from.base, cursor, 400_000) },
      {
        importPart: async (chunks: readonly WorkspaceChunk[]) => {
          bodies.push(JSON.stringify({ chunks }).length);
          counts.push(chunks.length);
          await importPart(to.files, to.base, chunks);
          return true;
        },
      },
      false,
    );
    expect(report.files).toBe(12_000);
    expect(Math.max(...counts)).toBeLessThanOrEqual(5_000);
    // 400 kB of part: each slice's path and JSON are charged, so the body stays near it.
    expect(Math.max(...bodies)).toBeLessThanOrEqual(400_000);
    expect(await fsp.readdir(path.join(to.files, `dir-${"x".repeat(60)}-11`))).toHaveLength(1000);
  });

  it("a read-only file larger than a part arrives whole and read-only, also when moved again", async () => {
    const from = await workspaceDir();
    const content = Buffer.alloc(300_000, 7);
    await fsp.writeFile(path.join(from.files, "pack.bin"), content, { mode: 0o444 });
    const to = await workspaceDir();
    const move = () => moveWorkspace({ exportPart: (cursor) => exportPart(from.files, from.base, cursor, 100_000) }, { importPart: async (chunks) => (await importPart(to.files, to.base, chunks), true) }, false);
    expect((await move()).parts).toBeGreaterThanOrEqual(3);
    await move();
    expect(await fsp.readFile(path.join(to.files, "pack.bin"))).toEqual(content);
    expect((await fsp.stat(path.join(to.files, "pack.bin"))).mode & 0o777).toBe(0o444);
  });

  it("refuses a slice past its file's size, a cursor into an export it did not start, and a cursor past the workspace", async () => {
    const to = await workspaceDir();
    await expect(importPart(to.files, to.base, [{ tree: "files", path: "a", size: 1, offset: 0, data: Buffer.from("ab").toString("base64") }])).rejects.toThrow(/reaches past its size/);
    await expect(exportPart(to.files, to.base, { index: 3, offset: 0 })).rejects.toThrow(/start it again without a cursor/);
    await fsp.writeFile(path.join(to.files, "a.txt"), "abc");
    await fsp.writeFile(path.join(to.files, "b.txt"), "def");
    const first = await exportPart(to.files, to.base, undefined, 1);
    expect(first.next).toEqual({ index: 0, offset: 1 });
    await expect(exportPart(to.files, to.base, { index: 0, offset: 99 })).rejects.toThrow(/points past the workspace/);
    // The refused export is forgotten: its cursor is not taken any more.
    await expect(exportPart(to.files, to.base, first.next!)).rejects.toThrow(/start it again without a cursor/);
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
