/** The pure rules of a task's escalation to a VM (src/actors/task/escalation-rules.ts) and of the VM reconciliation (src/sandbox/vm/reconcile.ts). */
import { describe, expect, it } from "vitest";
import { sandboxLimitHit, vmCostUsd, vmRefusal, type SandboxCommandResult } from "../../src/actors/task/escalation-rules.ts";
import { reconcileAction } from "../../src/sandbox/vm/reconcile.ts";
import { vmPolicySchema } from "../../src/shared/limits.ts";

const allowed = vmPolicySchema.parse({ allowed: true, maxConcurrent: 2 });

describe("vmRefusal", () => {
  it("allows a request within the policy", () => {
    expect(vmRefusal({ runtime: "auto", policy: allowed, activeVms: 1, needs: { cpus: 2, memoryGb: 4 } })).toBeNull();
  });
  it("refuses when the project does not allow VMs (the default)", () => {
    expect(vmRefusal({ runtime: "auto", policy: vmPolicySchema.parse({}), activeVms: 0, needs: {} })).toMatch(/does not allow VMs/);
  });
  it("refuses a task whose runtime is sandbox", () => {
    expect(vmRefusal({ runtime: "sandbox", policy: allowed, activeVms: 0, needs: {} })).toMatch(/runtime is "sandbox"/);
  });
  it("refuses at the project's limit of VMs at once", () => {
    expect(vmRefusal({ runtime: "vm", policy: allowed, activeVms: 2, needs: {} })).toMatch(/maxConcurrent = 2/);
  });
  it("refuses network unless the project gives VMs the network", () => {
    expect(vmRefusal({ runtime: "auto", policy: allowed, activeVms: 0, needs: { network: true } })).toMatch(/limits\.vm\.network is false/);
    expect(vmRefusal({ runtime: "auto", policy: { ...allowed, network: true }, activeVms: 0, needs: { network: true } })).toBeNull();
  });
  it("refuses needs beyond the server type", () => {
    expect(vmRefusal({ runtime: "auto", policy: allowed, activeVms: 0, needs: { cpus: 8, memoryGb: 64 } })).toMatch(/cx22 is too small: 8 CPUs \(it has 2\), 64 GB of memory/);
  });
});

describe("vmCostUsd", () => {
  it("charges started hours, at least one", () => {
    expect(vmCostUsd(0, 1000, 0.0066)).toBe(0.0066);
    expect(vmCostUsd(0, 3_600_001, 0.0066)).toBe(0.0132);
  });
});

describe("sandboxLimitHit", () => {
  const base: SandboxCommandResult = { exitCode: 1, output: "", ownTimeout: false, networkOnVm: false };
  it("sees the sandbox's time ceiling only when the call did not choose its own timeout", () => {
    const timedOut = { ...base, exitCode: 124, output: "building...\n[timed out after 60000 ms]" };
    expect(sandboxLimitHit(timedOut)).toMatchObject({ limit: "time" });
    expect(sandboxLimitHit({ ...timedOut, ownTimeout: true })).toBeNull();
    // A program's own exit 124 without the runner's note is not the ceiling.
    expect(sandboxLimitHit({ ...base, exitCode: 124, output: "done" })).toBeNull();
  });
  it("sees a missing Docker", () => {
    expect(sandboxLimitHit({ ...base, exitCode: 127, output: "bash: line 1: docker: command not found\n" })).toMatchObject({ limit: "docker", needs: { docker: true } });
    expect(sandboxLimitHit({ ...base, exitCode: 127, output: "bash: line 1: dockr: command not found\n" })).toBeNull();
  });
  it("sees the memory ceiling in programs' messages and in a SIGKILL", () => {
    for (const output of ["OSError: [Errno 12] Cannot allocate memory", "MemoryError", "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", "terminate called after throwing an instance of 'std::bad_alloc'"]) {
      expect(sandboxLimitHit({ ...base, output }), output).toMatchObject({ limit: "memory" });
    }
    expect(sandboxLimitHit({ ...base, exitCode: 137, output: "Killed" })).toMatchObject({ limit: "memory" });
  });
  it("sees a missing network only when VMs get the network", () => {
    const offline = { ...base, exitCode: 6, output: "curl: (6) Could not resolve host: registry.npmjs.org" };
    expect(sandboxLimitHit(offline)).toBeNull();
    expect(sandboxLimitHit({ ...offline, networkOnVm: true })).toMatchObject({ limit: "network", needs: { network: true } });
  });
  it("leaves ordinary failures and successes alone", () => {
    expect(sandboxLimitHit({ ...base, output: "FAIL src/a.test.ts: expected 2, got 3" })).toBeNull();
    expect(sandboxLimitHit({ ...base, exitCode: 0, output: "Cannot allocate memory (a log line)" })).toBeNull();
  });
});

describe("reconcileAction", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  const server = { status: "running" as const, created: "2026-01-01T11:00:00Z" };
  it("deletes a server whose task ended or is unknown", () => {
    expect(reconcileAction(server, null, 2, now)).toBe("delete");
    for (const status of ["succeeded", "failed", "cancelled"]) expect(reconcileAction(server, { status }, 2, now)).toBe("delete");
  });
  it("keeps a live task's server within maxHours and expires it past them", () => {
    expect(reconcileAction(server, { status: "running" }, 2, now)).toBe("keep");
    expect(reconcileAction(server, { status: "waiting" }, 0.5, now)).toBe("expire");
  });
  it("leaves a server already being deleted", () => {
    expect(reconcileAction({ ...server, status: "deleting" }, null, 2, now)).toBe("keep");
  });
});
