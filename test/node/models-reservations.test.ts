/** Reservations of calls in flight (src/models/reservations.ts). */
import { describe, expect, it } from "vitest";
import { RESERVATION_TTL_MS, Reservations } from "../../src/models/reservations.ts";

const call = (inputTokens: number, outputTokens: number, costUsd: number, taskId: string | null = null, missionId: string | null = null) => ({
  estimate: { inputTokens, outputTokens, costUsd },
  taskId,
  missionId,
  credentialId: null,
});

describe("Reservations", () => {
  it("sums every call in flight, or only a task's or a mission's", () => {
    const r = new Reservations(() => 0);
    r.hold("a", call(100, 10, 0.1, "t1", "m1"));
    r.hold("b", call(200, 20, 0.2, "t2", "m1"));
    r.hold("c", call(300, 30, 0.3));
    expect(r.sum()).toEqual({ inputTokens: 600, outputTokens: 60, costUsd: expect.closeTo(0.6, 10) });
    expect(r.sum({ taskId: "t1" })).toEqual({ inputTokens: 100, outputTokens: 10, costUsd: 0.1 });
    expect(r.sum({ missionId: "m1" })).toEqual({ inputTokens: 300, outputTokens: 30, costUsd: expect.closeTo(0.3, 10) });
  });

  it("rounds tokens up and counts negative estimates as 0", () => {
    const r = new Reservations(() => 0);
    r.hold("a", call(10.2, -5, -1));
    expect(r.sum()).toEqual({ inputTokens: 11, outputTokens: 0, costUsd: 0 });
  });

  it("gives a reservation back once when taken, then no longer counts it", () => {
    const r = new Reservations(() => 0);
    r.hold("a", { ...call(1, 2, 3, "t1"), credentialId: "cred_1" });
    expect(r.take("a")).toMatchObject({ inputTokens: 1, outputTokens: 2, costUsd: 3, taskId: "t1", credentialId: "cred_1" });
    expect(r.take("a")).toBeUndefined();
    expect(r.sum()).toEqual({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
  });

  it("forgets a call that never settles after RESERVATION_TTL_MS", () => {
    let now = 1_000;
    const r = new Reservations(() => now);
    r.hold("old", call(100, 0, 0));
    now += RESERVATION_TTL_MS;
    r.hold("new", call(5, 0, 0));
    r.purgeExpired();
    expect(r.sum().inputTokens).toBe(105);
    now += 1;
    r.purgeExpired();
    expect(r.sum().inputTokens).toBe(5);
    expect(r.take("old")).toBeUndefined();
  });
});
