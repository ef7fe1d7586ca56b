/**
 * The local runner over real HTTP with real bubblewrap: contract, isolation, limits.
 * Every isolation assertion would fail if the corresponding barrier were missing.
 */
import { spawn } from "node:child_process";
import { promises as fsp, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll.ts";
import { errorOf, hostPidsMatching, startTestRunner, token, type TestRunner } from "./runner-helpers.ts";

let t: TestRunner;
const WS = "ws_main";
const OTHER = "ws_other";
let hostSecretFile: string;
let hostSecret: string;
const previousEnvSecret = process.env.SAM_RUNNER_SECRET;

/**
 * Waits until `sleep <mark>` itself runs (its command line is exactly that), so the sandbox
 * around it is fully set up: the wrapper and bubblewrap that carry the mark in their arguments
 * appear a few ms earlier, before their parent-death signals are armed (the known gap described
 * at HOST_WRAPPER in src/sandbox/runner/sandbox.ts). Throws after 5 s.
 */
async function processesStarted(mark: string): Promise<void> {
  await pollUntil(`\`sleep ${mark}\` to run`, () => hostPidsMatching(`sleep\u0000${mark}\u0000`), (pids) => pids.length > 0, { timeoutMs: 5_000, intervalMs: 20 });
}

/**
 * Waits until no host process's command line contains `mark`; throws after 5 s with the pids
 * still there. The processes under test sleep for 30 s or more, so one that was left behind is
 * still there at the deadline.
 */
async function processesGone(mark: string): Promise<void> {
  await pollUntil(`every process marked ${mark} to exit`, () => hostPidsMatching(mark), (pids) => pids.length === 0, { timeoutMs: 5_000, intervalMs: 20 });
}

beforeAll(async () => {
  t = await startTestRunner();
  // The runner's own environment holds the secret; commands must not see it.
  process.env.SAM_RUNNER_SECRET = t.secret;
  hostSecret = `host-secret-${token()}`;
  hostSecretFile = path.join(os.tmpdir(), `sam-host-secret-${token()}.txt`);
  await fsp.writeFile(hostSecretFile, hostSecret);
  expect((await t.call("PUT", `/v1/workspaces/${WS}`, { files: { "a.txt": "hello\n" } })).status).toBe(201);
  expect((await t.call("PUT", `/v1/workspaces/${OTHER}`, { files: { "secret.txt": hostSecret } })).status).toBe(201);
});

afterAll(async () => {
  if (previousEnvSecret === undefined) delete process.env.SAM_RUNNER_SECRET;
  else process.env.SAM_RUNNER_SECRET = previousEnvSecret;
  await fsp.rm(hostSecretFile, { force: true });
  await t?.stop();
});

describe("HTTP contract", () => {
  it("reports bubblewrap isolation on health", async () => {
    const res = await t.call("GET", "/v1/health");
    expect(res).toEqual({ status: 200, json: { ok: true, isolation: "bubblewrap" } });
  });

  it("rejects a wrong or missing secret with 401", async () => {
    for (const auth of [null, "Bearer wrong", `Bearer ${t.secret}x`, t.secret, "Basic abc"]) {
      const res = await t.call("POST", `/v1/workspaces/${WS}/exec`, { command: "touch pwned" }, { auth });
      expect(res.status).toBe(401);
      expect(errorOf(res.json).code).toBe("unauthorized");
    }
    expect(existsSync(path.join(t.workspacesDir, WS, "files", "pwned"))).toBe(false);
  });

  it("answers malformed JSON with 400 and keeps serving", async () => {
    const bad = await t.call("POST", `/v1/workspaces/${WS}/exec`, undefined, { raw: '{"command": "echo' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.json).code).toBe("invalid_input");
    const next = await t.exec(WS, "echo still-alive");
    expect(next.output).toBe("still-alive\n");
  });

  it("answers schema violations with 400 invalid_input", async () => {
    const cases: [string, unknown][] = [
      ["exec", {}],
      ["exec", { command: "" }],
      ["exec", { command: "true", timeoutMs: -5 }],
      ["exec", { command: "true", timeoutMs: 10_000_000 }],
      ["exec", [1, 2]],
      ["read", { path: 42 }],
      ["write", { path: "x" }],
      ["search", { pattern: "" }],
    ];
    for (const [op, body] of cases) {
      const res = await t.call("POST", `/v1/workspaces/${WS}/${op}`, body);
      expect(res.status, `${op} ${JSON.stringify(body)}`).toBe(400);
      expect(errorOf(res.json).code).toBe("invalid_input");
    }
    const badId = await t.call("POST", "/v1/workspaces/..%2F..%2Fetc/read", { path: "passwd" });
    expect(badId.status).toBe(400);
  });

  it("returns 404 workspace_unavailable for an unknown workspace", async () => {
    for (const op of ["exec", "read", "write", "list", "search", "diff"]) {
      const res = await t.call("POST", `/v1/workspaces/nope_${token()}/${op}`, { command: "true", path: "a", content: "", pattern: "a" });
      expect(res.status, op).toBe(404);
      expect(errorOf(res.json).code).toBe("workspace_unavailable");
    }
  });

  it("creates idempotently (seeding only once) and deletes", async () => {
    const id = `ws_${token()}`;
    expect((await t.call("PUT", `/v1/workspaces/${id}`, { files: { "x.txt": "one" } })).json).toEqual({ id, created: true });
    const again = await t.call("PUT", `/v1/workspaces/${id}`, { files: { "x.txt": "two" } });
    expect(again).toEqual({ status: 200, json: { id, created: false } });
    expect((await t.exec(id, "cat x.txt")).output).toBe("one");
    expect((await t.call("DELETE", `/v1/workspaces/${id}`)).json).toEqual({ deleted: true });
    expect((await t.call("DELETE", `/v1/workspaces/${id}`)).json).toEqual({ deleted: false });
    expect((await t.call("POST", `/v1/workspaces/${id}/exec`, { command: "true" })).status).toBe(404);
  });
});

describe("exec results", () => {
  it("passes the exit code through and captures stderr interleaved", async () => {
    const r = await t.exec(WS, "echo out1; echo err1 >&2; echo out2; exit 7");
    expect(r.exitCode).toBe(7);
    expect(r.output).toBe("out1\nerr1\nout2\n");
    expect(r.timedOut).toBe(false);
    expect(r.truncated).toBe(false);
  });

  it("runs as sam in /workspace with the seeded files and node, git, grep, python3", async () => {
    const r = await t.exec(
      WS,
      'whoami; pwd; echo "$HOME"; cat a.txt; node -e "console.log(6*7)"; git --version >/dev/null && echo git-ok; grep -c hello a.txt; python3 -c "print(2**10)"',
    );
    expect(r.exitCode).toBe(0);
    expect(r.output).toBe("sam\n/workspace\n/workspace\nhello\n42\ngit-ok\n1\n1024\n");
  });

  it("clears the environment", async () => {
    const r = await t.exec(WS, "env");
    expect(process.env.SAM_RUNNER_SECRET).toBe(t.secret);
    expect(r.output).not.toContain(t.secret);
    expect(r.output).not.toContain("SAM_RUNNER_SECRET");
    const names = r.output.trim().split("\n").map((line) => line.split("=")[0]);
    const allowed = new Set(["PATH", "HOME", "LANG", "TERM", "PWD", "SAM_RUNTIME", "SHLVL", "_", "OLDPWD"]);
    expect(names.filter((n) => !allowed.has(n))).toEqual([]);
  });

  it("kills the whole command at the timeout", async () => {
    const mark = `${30 + Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1e6)}`;
    const started = Date.now();
    const r = await t.exec(WS, `sleep ${mark}1 & sleep ${mark}2`, { timeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(124);
    await processesGone(mark);
    expect(hostPidsMatching(mark)).toEqual([]);
  });

  it("kills the command when the client hangs up (a cancelled task)", async () => {
    const mark = `${40 + Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1e6)}`;
    const hangUp = new AbortController();
    const request = fetch(`${t.runner.url}/v1/workspaces/${WS}/exec`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.secret}`, "content-type": "application/json" },
      body: JSON.stringify({ command: `sleep ${mark}; echo late > hung-up.txt` }),
      signal: hangUp.signal,
    });
    await processesStarted(mark);
    expect(hostPidsMatching(mark)).not.toEqual([]);
    hangUp.abort();
    await expect(request).rejects.toThrow();
    await processesGone(mark);
    expect(hostPidsMatching(mark)).toEqual([]);
  });

  it("takes its running commands with it when the runner process is killed", async () => {
    const mark = `${60 + Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1e6)}`;
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-runner-crash-"));
    const server = pathToFileURL(path.resolve("src/sandbox/runner/server.ts")).href;
    const code = `const { startRunner } = await import(${JSON.stringify(server)});
      const r = await startRunner({ port: 0, secret: "s", workspacesDir: ${JSON.stringify(path.join(dir, "ws"))} });
      console.log(r.url);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => resolve(d.toString().trim()));
        child.once("exit", (code) => reject(new Error(`runner exited with ${code}`)));
      });
      const call = (method: string, route: string, body: unknown) =>
        fetch(url + route, { method, headers: { authorization: "Bearer s", "content-type": "application/json" }, body: JSON.stringify(body) });
      expect((await call("PUT", "/v1/workspaces/crash", { files: {} })).status).toBe(201);
      void call("POST", "/v1/workspaces/crash/exec", { command: `sleep ${mark}; echo late > late.txt` }).catch(() => undefined);
      await processesStarted(mark);
      expect(hostPidsMatching(mark)).not.toEqual([]);
      child.kill("SIGKILL");
      await processesGone(mark);
      expect(hostPidsMatching(mark)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it("leaves no background process behind after a command ends", async () => {
    const mark = `${50 + Math.floor(Math.random() * 1000)}.${Math.floor(Math.random() * 1e6)}`;
    const r = await t.exec(WS, `(sleep ${mark} &) ; nohup sleep ${mark} >/dev/null 2>&1 & echo started`);
    expect(r.output).toBe("started\n");
    await processesGone(mark);
    expect(hostPidsMatching(mark)).toEqual([]);
  });

  it("caps output with a visible marker", async () => {
    const r = await t.exec(WS, "yes | head -c 200000; echo done");
    const marker = "\n[output truncated at 65536 bytes]";
    expect(r.truncated).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(r.output.endsWith(marker)).toBe(true);
    expect(r.output.length).toBeLessThanOrEqual(65536 + marker.length);
    const small = await t.exec(WS, "seq 1 100000", { maxOutputBytes: 1000 });
    expect(small.truncated).toBe(true);
    expect(small.output.length).toBeLessThanOrEqual(1000 + "\n[output truncated at 1000 bytes]".length);
    expect(small.output.startsWith("1\n2\n3\n")).toBe(true);
  });

  it("applies prlimit resource limits", async () => {
    const r = await t.exec(WS, "ulimit -n; ulimit -u; ulimit -v");
    expect(r.output).toBe("1024\n512\n4194304\n");
  });
});

describe("isolation", () => {
  it("has no network: only loopback, no route out, runner unreachable", async () => {
    const r = await t.exec(
      WS,
      [
        "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '",
        "(echo > /dev/tcp/1.1.1.1/80) 2>/dev/null && echo OUT-OPEN || echo out-blocked",
        `(echo > /dev/tcp/127.0.0.1/${t.runner.port}) 2>/dev/null && echo RUNNER-REACHABLE || echo runner-unreachable`,
        "getent hosts example.com >/dev/null && echo DNS-OK || echo dns-failed",
        // loopback itself works inside the sandbox's own namespace
        "python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); c=socket.create_connection(s.getsockname()); print('loopback-ok')\"",
      ].join("; "),
    );
    expect(r.output).toBe("lo\nout-blocked\nrunner-unreachable\ndns-failed\nloopback-ok\n");
  });

  it("shares the host network only for workspaces created with network: true", async () => {
    const id = `ws_net_${token()}`;
    expect((await t.call("PUT", `/v1/workspaces/${id}`, { network: true })).status).toBe(201);
    const ifaces = (text: string) => text.split("\n").slice(2).map((l) => l.split(":")[0].trim()).filter(Boolean).sort();
    const r = await t.exec(id, "cat /proc/net/dev; test -e /etc/resolv.conf && echo resolv-present");
    const hostDev = await fsp.readFile("/proc/net/dev", "utf8");
    expect(ifaces(r.output.replace("resolv-present\n", ""))).toEqual(ifaces(hostDev));
    if (existsSync("/etc/resolv.conf")) expect(r.output).toContain("resolv-present");
  });

  it("refuses writes outside /workspace and /tmp", async () => {
    for (const target of ["/etc/x", "/usr/x", "/x", "/opt/x", "/bin/x", "/proc/x"]) {
      const r = await t.exec(WS, `echo x > ${target}`);
      expect(r.exitCode, target).not.toBe(0);
    }
    // /proc/sys writes would reach the host kernel (the sandbox uid maps to the runner's).
    const sys = await t.exec(WS, "v=$(cat /proc/sys/kernel/printk_ratelimit); echo $v > /proc/sys/kernel/printk_ratelimit");
    expect(sys.exitCode).not.toBe(0);
    expect(sys.output).toContain("Read-only file system");
  });

  it("gives a private /tmp", async () => {
    const mark = `sam-sandbox-tmp-${token()}`;
    const r = await t.exec(WS, `ls -A /tmp; cat ${hostSecretFile}; echo hi > /tmp/${mark} && cat /tmp/${mark}`);
    expect(r.output).not.toContain(hostSecret);
    expect(r.output).toContain("No such file");
    expect(r.output.endsWith("hi\n")).toBe(true);
    expect(existsSync(path.join("/tmp", mark))).toBe(false);
    expect(existsSync(path.join(os.tmpdir(), mark))).toBe(false);
  });

  it("hides the host: /root, /home, /work, the SAM checkout, other workspaces", async () => {
    const other = path.join(t.workspacesDir, OTHER, "files", "secret.txt");
    expect(await fsp.readFile(other, "utf8")).toBe(hostSecret);
    const probes = ["/root", "/home", "/work", process.cwd(), t.workspacesDir, t.tmp, path.dirname(other), "/var", "/run", "/sys", "/mnt"];
    for (const p of probes) {
      const r = await t.exec(WS, `ls -A ${p}`);
      expect(r.exitCode, p).not.toBe(0);
    }
    const r = await t.exec(WS, `cat ${other}; grep -rs ${hostSecret} /etc /tmp /opt /workspace 2>/dev/null | head -3; echo end`);
    expect(r.output).not.toContain(hostSecret);
    expect(r.output).toContain("end");
  });

  it("exposes only a minimal generated /etc", async () => {
    const r = await t.exec(WS, "cut -d: -f1 /etc/passwd | tr '\\n' ' '; ls /etc/shadow /etc/hostname 2>&1 | grep -c 'No such'");
    expect(r.output).toBe("root sam nobody 2\n");
    const hostPasswd = await fsp.readFile("/etc/passwd", "utf8");
    expect(hostPasswd).not.toBe((await t.exec(WS, "cat /etc/passwd")).output);
  });

  it("runs in its own PID namespace", async () => {
    const r = await t.exec(WS, "echo $$; ls /proc | grep -cE '^[0-9]+$'");
    const [pid, count] = r.output.trim().split("\n").map(Number);
    expect(pid).toBeLessThanOrEqual(5);
    expect(count).toBeLessThanOrEqual(6);
  });

  it("cannot create nested user namespaces or gain capabilities", async () => {
    const r = await t.exec(WS, "unshare -r true 2>/dev/null && echo USERNS || echo no-userns; grep CapEff /proc/self/status");
    expect(r.output).toBe("no-userns\nCapEff:\t0000000000000000\n");
  });
});
