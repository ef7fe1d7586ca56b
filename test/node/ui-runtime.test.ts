/**
 * How the task page words where a task runs and its moves to a VM (src/ui/lib/runtime.ts, issue
 * 16), and where the transcript puts `escalation` events (Transcript.tsx's transcriptItems).
 */
import { describe, expect, it } from "vitest";
import type { TaskRuntimeView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { transcriptItems } from "../../src/ui/components/Transcript.tsx";
import { escalationDetail, runtimeCost, runtimeFacts, type EscalationEvent } from "../../src/ui/lib/runtime.ts";

const SANDBOX: TaskRuntimeView = { tier: "sandbox", provider: null, serverType: null, serverId: null, costUsd: 0 };
const VM: TaskRuntimeView = { tier: "vm", provider: "hetzner", serverType: "cx22", serverId: "42", costUsd: 0.0071 };

describe("runtimeFacts and runtimeCost", () => {
  it("shows a plain sandbox (or a view from before runtimes) without detail or cost", () => {
    expect(runtimeFacts(undefined)).toEqual({ tier: "Sandbox", detail: null });
    expect(runtimeFacts(SANDBOX)).toEqual({ tier: "Sandbox", detail: null });
    expect(runtimeCost(undefined)).toBeNull();
    expect(runtimeCost(SANDBOX)).toBeNull();
  });

  it("shows a VM with its provider and server type, and its cost in USD", () => {
    expect(runtimeFacts(VM)).toEqual({ tier: "VM", detail: "hetzner · cx22" });
    expect(runtimeCost(VM)).toBe("$0.0071");
    expect(runtimeCost({ ...VM, costUsd: 1.5 })).toBe("$1.50");
  });

  it("names the VM on its way while the task is still in the sandbox, and a VM's cost even at $0", () => {
    const provisioning = { ...SANDBOX, provider: "hetzner", serverType: "cx32" };
    expect(runtimeFacts(provisioning)).toEqual({ tier: "Sandbox", detail: "VM on its way: hetzner · cx32" });
    expect(runtimeCost(provisioning)).toBe("$0.00");
    expect(runtimeCost({ ...VM, costUsd: 0 })).toBe("$0.00");
  });
});

describe("escalation events in the transcript", () => {
  const at = "2026-01-01T00:00:00.000Z";
  const requested: EscalationEvent = { type: "escalation", seq: 3, at, reason: "needs more memory", phase: "requested" };
  const released: EscalationEvent = { type: "escalation", seq: 9, at, reason: "the task ended", phase: "released", provider: "hetzner", serverType: "cx22", serverId: "7", costUsd: 0.0071 };

  it("joins an event's details, and has none for a bare request", () => {
    expect(escalationDetail(requested)).toBe("");
    expect(escalationDetail(released)).toBe("hetzner · cx22 · server 7 · cost $0.0071");
  });

  it("places each escalation event as its own item, in seq order among the others", () => {
    const events: TranscriptEvent[] = [
      { type: "status", seq: 1, at, status: "running" },
      requested,
      { type: "message", seq: 4, at, kind: "message", from: "ada", text: "hi" },
      released,
    ] as TranscriptEvent[];
    const items = transcriptItems(events);
    expect(items.map((i) => i.kind)).toEqual(["status", "escalation", "message", "escalation"]);
    expect(items.map((i) => i.key)).toEqual(["s1", "e3", "g4", "e9"]);
  });
});
