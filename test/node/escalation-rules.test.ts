/** The pure rules of a task's escalation to a VM (src/actors/task/escalation-rules.ts). */
import { describe, expect, it } from "vitest";
import { vmCostUsd, vmRefusal } from "../../src/actors/task/escalation-rules.ts";
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
