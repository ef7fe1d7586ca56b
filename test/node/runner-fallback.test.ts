/**
 * Runner behaviour without bubblewrap (simulated by overriding the isolation probe):
 * commands are refused with 503, unless unsandboxed execution is explicitly allowed.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorOf, startTestRunner, type TestRunner } from "./runner-helpers.ts";

const missing = { available: false, reason: "bubblewrap (bwrap) is not installed" };
let t: TestRunner | undefined;

afterEach(async () => {
  await t?.stop();
  t = undefined;
  vi.restoreAllMocks();
});

describe("without bubblewrap", () => {
  it("refuses to run commands with 503 sandbox_unavailable", async () => {
    t = await startTestRunner({ isolation: missing });
    expect((await t.call("GET", "/v1/health")).json).toEqual({ ok: true, isolation: "none" });
    await t.call("PUT", "/v1/workspaces/w", { files: { "a.txt": "x" } });
    const res = await t.call("POST", "/v1/workspaces/w/exec", { command: "echo hi" });
    expect(res.status).toBe(503);
    expect(errorOf(res.json).code).toBe("sandbox_unavailable");
    expect(errorOf(res.json).message).toContain("apt-get install -y bubblewrap");
    // File operations do not need the sandbox.
    expect((await t.call("POST", "/v1/workspaces/w/read", { path: "a.txt" })).json).toEqual({ content: "x" });
  });

  it("runs commands unsandboxed (with a cleared env) when allowed, warning once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    t = await startTestRunner({ isolation: missing, allowUnsandboxed: true });
    await t.call("PUT", "/v1/workspaces/w", { files: { "a.txt": "seed\n" } });
    const r = await t.exec("w", "cat a.txt; env | grep -c SAM_RUNNER_SECRET; exit 3");
    expect(r).toMatchObject({ exitCode: 3, output: "seed\n0\n", timedOut: false });
    const slow = await t.exec("w", "sleep 20", { timeoutMs: 300 });
    expect(slow).toMatchObject({ exitCode: 124, timedOut: true });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain("UNSANDBOXED");
  });
});
