/**
 * The CLI's own logic without a SAM behind it: the config file (XDG path, mode 0600, env
 * overrides), the device flow's polling rules (RFC 8628: the server's interval, +5 s on
 * `slow_down`, expiry, denial) against a loopback server that answers as the spec says,
 * formatting, flag parsing and exit codes of `runCli`.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { SamApi } from "../../src/cli/api.ts";
import { readSeedFiles } from "../../src/cli/commands/tasks.ts";
import { limitValue } from "../../src/cli/commands/usage.ts";
import { configPath, readLogin, resolveTarget, writeLogin } from "../../src/cli/config.ts";
import { deviceLogin } from "../../src/cli/device-login.ts";
import { CliError } from "../../src/cli/errors.ts";
import { formatEvent, oneLine, table, toolInput } from "../../src/cli/format.ts";
import { runCli } from "../../src/cli/main.ts";

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A loopback device-flow server answering the token polls with `answers` in order. */
async function deviceServer(answers: { status: number; body: unknown }[], interval = 5): Promise<{ url: string; polls: number[] }> {
  const polls: number[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      response.setHeader("content-type", "application/json");
      if (request.url === "/api/auth/device/code") {
        response.end(JSON.stringify({ device_code: "dev", user_code: "ABCD-EFGH", verification_uri: "http://x/device", expires_in: 60, interval }));
        return;
      }
      polls.push(Date.now());
      const answer = answers.shift() ?? { status: 400, body: { error: "expired_token" } };
      response.statusCode = answer.status;
      response.end(JSON.stringify(answer.body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, polls };
}

/** Records the waits the device flow asks for, without waiting. */
function clock(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms) => void sleeps.push(ms) };
}

describe("the device flow (RFC 8628)", () => {
  it("polls at the server's interval, adds 5 s on slow_down, and returns the token once approved", async () => {
    const server = await deviceServer([
      { status: 400, body: { error: "authorization_pending" } },
      { status: 400, body: { error: "slow_down" } },
      { status: 400, body: { error: "authorization_pending" } },
      { status: 200, body: { access_token: "sam_pat_new", token_type: "Bearer" } },
    ]);
    const { sleeps, sleep } = clock();
    let shown = "";
    const token = await deviceLogin(new SamApi(server.url, null), { sleep, onCode: (code) => void (shown = code.user_code) });
    expect(token).toBe("sam_pat_new");
    expect(shown).toBe("ABCD-EFGH");
    expect(sleeps).toEqual([5000, 5000, 10000, 10000]);
  });

  it("says the login was denied, or that the code expired", async () => {
    const denied = await deviceServer([{ status: 400, body: { error: "access_denied" } }]);
    await expect(deviceLogin(new SamApi(denied.url, null), { ...clock(), onCode: () => undefined })).rejects.toThrow("the login was denied");
    const expired = await deviceServer([{ status: 400, body: { error: "expired_token" } }]);
    await expect(deviceLogin(new SamApi(expired.url, null), { ...clock(), onCode: () => undefined })).rejects.toThrow(/the code expired/);
  });

  it("gives up on its own once expires_in has passed, even if the server keeps saying pending", async () => {
    const pending = Array.from({ length: 50 }, () => ({ status: 400, body: { error: "authorization_pending" } }));
    const server = await deviceServer(pending, 20);
    const { sleeps, sleep } = clock();
    await expect(deviceLogin(new SamApi(server.url, null), { sleep, onCode: () => undefined })).rejects.toThrow(/the code expired/);
    expect(sleeps).toEqual([20000, 20000, 20000]);
  });
});

describe("the config file", () => {
  it("lives under XDG_CONFIG_HOME, is written 0600, and SAM_API_URL + SAM_API_TOKEN override it", () => {
    const home = mkdtempSync(join(tmpdir(), "sam-cli-unit-"));
    const env = { XDG_CONFIG_HOME: join(home, "cfg"), HOME: home };
    expect(configPath(env)).toBe(join(home, "cfg/sam/config.json"));
    expect(configPath({ HOME: home })).toBe(join(home, ".config/sam/config.json"));
    expect(readLogin(env)).toBeNull();
    expect(() => resolveTarget(undefined, env)).toThrow(/not logged in/);
    writeLogin({ url: "http://127.0.0.1:8787", token: "sam_pat_saved" }, env);
    expect(statSync(configPath(env)).mode & 0o777).toBe(0o600);
    expect(resolveTarget(undefined, env)).toEqual({ url: "http://127.0.0.1:8787", token: "sam_pat_saved", source: "config" });
    expect(resolveTarget("http://other:1/", env).url).toBe("http://other:1");
    expect(resolveTarget(undefined, { ...env, SAM_API_URL: "https://sam.example", SAM_API_TOKEN: "sam_pat_env" })).toEqual({ url: "https://sam.example", token: "sam_pat_env", source: "environment" });
    expect(() => resolveTarget(undefined, { ...env, SAM_API_TOKEN: "sam_pat_env" })).not.toThrow();
    expect(() => resolveTarget(undefined, { HOME: home, SAM_API_TOKEN: "sam_pat_env" })).toThrow(/SAM_API_URL/);
  });
});

describe("formatting and flags", () => {
  it("shows tool calls and results as readable lines", () => {
    expect(formatEvent({ type: "tool_call", seq: 3, at: "", step: 1, toolCallId: "c", toolName: "bash", input: { command: "ls\n-la" } })).toEqual(["[3] → bash ls ⏎ -la"]);
    expect(formatEvent({ type: "tool_result", seq: 4, at: "", step: 1, toolCallId: "c", toolName: "bash", output: "a\nb\n", isError: false, exitCode: 0, durationMs: 12 })).toEqual(["[4] ← bash exit 0 in 12 ms", "    a", "    b"]);
    expect(toolInput({ other: 1 })).toBe('{"other":1}');
    expect(oneLine("x".repeat(300), 10)).toBe(`${"x".repeat(9)}…`);
    expect(table(["A", "B"], [["long value", "1"]])).toEqual(["A           B", "long value  1"]);
  });

  it("refuses malformed --file and budget values with exit code 2", () => {
    expect(() => readSeedFiles(["no-equals"])).toThrow(CliError);
    expect(() => readSeedFiles(["a.txt=/nonexistent/file"])).toThrow(/cannot read/);
    try {
      limitValue("-3", "--monthly-usd");
      expect.unreachable();
    } catch (error) {
      expect((error as CliError).exitCode).toBe(2);
    }
    expect(limitValue("none", "--monthly-usd")).toBeNull();
  });

  it("runCli: help exits 0, an unknown command or flag 2 with one line, not logged in 1", async () => {
    const run = async (argv: string[]) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = "";
      let err = "";
      stdout.on("data", (c) => (out += c));
      stderr.on("data", (c) => (err += c));
      const home = mkdtempSync(join(tmpdir(), "sam-cli-run-"));
      const code = await runCli(argv, { env: { HOME: home }, stdout, stderr, stdin: new PassThrough() });
      return { code, out, err };
    };
    const help = await run(["tasks", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("submit");
    const unknown = await run(["nonsense"]);
    expect(unknown.code).toBe(2);
    expect(unknown.err.trim().split("\n")).toHaveLength(1);
    const badValue = await run(["tasks", "submit", "--prompt", "x", "--max-steps", "zero", "--project", "prj_x"]);
    expect(badValue.code).toBe(2);
    expect(badValue.err).toBe("sam: --max-steps takes a positive whole number, not zero\n");
    const loggedOut = await run(["projects", "list"]);
    expect(loggedOut.code).toBe(1);
    expect(loggedOut.err).toBe("sam: not logged in: run `sam auth login` (or set SAM_API_URL and SAM_API_TOKEN)\n");
  });
});
