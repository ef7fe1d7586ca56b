/** The mission scheduler's pure decisions: ready, blocked, retry or give up, and the mission's end. */
import { describe, expect, it } from "vitest";
import { attemptOutcome, blockedEntries, missionOutcome, readyEntries, type ScheduledEntry } from "../../src/actors/mission/schedule.ts";
import type { MissionTaskStatus, TaskView } from "../../src/shared/protocol.ts";

const entry = (key: string, status: MissionTaskStatus, deps: string[] = []): ScheduledEntry => ({ key, status, depends_on_json: JSON.stringify(deps) });
const keys = (entries: { key: string }[]) => entries.map((e) => e.key);

describe("readyEntries", () => {
  it("starts pending entries whose dependencies all succeeded, in plan order", () => {
    const plan = [
      entry("a", "succeeded"),
      entry("b", "pending", ["a"]),
      entry("c", "pending", ["a", "d"]),
      entry("d", "running"),
      entry("e", "pending"),
    ];
    expect(keys(readyEntries(plan, 10))).toEqual(["b", "e"]);
  });

  it("starts no more than the free slots (maxConcurrent minus running)", () => {
    const plan = [entry("r", "running"), entry("a", "pending"), entry("b", "pending"), entry("c", "pending")];
    expect(keys(readyEntries(plan, 3))).toEqual(["a", "b"]);
    expect(readyEntries(plan, 1)).toEqual([]);
  });

  it("starts nothing when more run than the limit allows (a lowered limit)", () => {
    expect(readyEntries([entry("r1", "running"), entry("r2", "running"), entry("a", "pending")], 1)).toEqual([]);
  });

  it("does not start an entry whose dependency failed, is pending or running", () => {
    const plan = [entry("f", "failed"), entry("p", "pending", ["f"]), entry("q", "pending", ["p"])];
    expect(readyEntries(plan, 5)).toEqual([]);
  });
});

describe("blockedEntries", () => {
  it("skips an entry whose dependency failed, was cancelled or skipped, naming the first such dependency", () => {
    const plan = [
      entry("ok", "succeeded"),
      entry("f", "failed"),
      entry("c", "cancelled"),
      entry("s", "skipped"),
      entry("x", "pending", ["ok", "f"]),
      entry("y", "pending", ["c"]),
      entry("z", "pending", ["s"]),
      entry("w", "pending", ["ok"]),
    ];
    expect(blockedEntries(plan)).toEqual([
      { key: "x", blocker: "f", reason: 'not started: it depends on "f", which did not succeed' },
      { key: "y", blocker: "c", reason: 'not started: it depends on "c", which did not succeed' },
      { key: "z", blocker: "s", reason: 'not started: it depends on "s", which did not succeed' },
    ]);
  });

  it("skips through a chain: a skipped entry blocks what depends on it", () => {
    const plan = [entry("c", "pending", ["b"]), entry("b", "pending", ["a"]), entry("a", "failed"), entry("d", "pending", ["c", "a"])];
    expect(blockedEntries(plan).map((b) => [b.key, b.blocker])).toEqual([
      ["b", "a"],
      ["d", "a"],
      ["c", "b"],
    ]);
  });

  it("leaves entries alone whose dependencies are pending, running or succeeded, and entries no longer pending", () => {
    const plan = [entry("a", "running"), entry("b", "pending", ["a"]), entry("f", "failed"), entry("r", "running", ["f"])];
    expect(blockedEntries(plan)).toEqual([]);
  });
});

describe("attemptOutcome", () => {
  const failed = (error: string, code: NonNullable<TaskView["failure"]>["code"] = "unexpected_error"): Pick<TaskView, "status" | "error" | "failure"> => ({
    status: "failed",
    error,
    failure: { code, message: error },
  });
  const running = { maxRetries: 1, status: "running" as const };

  it("a success is final, with no error", () => {
    expect(attemptOutcome({ status: "succeeded", error: null, failure: null }, { attempts: 1 }, running)).toEqual({ status: "succeeded", retry: false, error: null });
  });

  it("retries a failure while retries remain, saying which attempt failed", () => {
    expect(attemptOutcome(failed("exit 1"), { attempts: 1 }, running)).toEqual({ status: "pending", retry: true, error: "attempt 1 failed: exit 1; retrying" });
    expect(attemptOutcome({ status: "failed", error: null, failure: null }, { attempts: 2 }, { maxRetries: 3, status: "paused" })).toEqual({
      status: "pending",
      retry: true,
      error: "attempt 2 failed: unknown reason; retrying",
    });
  });

  it("gives up once the retries are spent", () => {
    expect(attemptOutcome(failed("exit 1"), { attempts: 2 }, running)).toEqual({ status: "failed", retry: false, error: "exit 1" });
    expect(attemptOutcome(failed("exit 1"), { attempts: 1 }, { maxRetries: 0, status: "running" })).toEqual({ status: "failed", retry: false, error: "exit 1" });
  });

  it("never retries a spent budget, read from failure.code (not the message)", () => {
    const spent = failed("budget_exceeded: mission budget exhausted", "budget_exceeded");
    expect(attemptOutcome(spent, { attempts: 1 }, { maxRetries: 5, status: "running" })).toEqual({ status: "failed", retry: false, error: spent.error });
    // A message that merely starts with the words is an ordinary failure.
    expect(attemptOutcome(failed("budget_exceeded? no: exit 2", "unexpected_error"), { attempts: 1 }, running).retry).toBe(true);
  });

  it("does not retry in a cancelled mission, and a cancelled task stays cancelled", () => {
    expect(attemptOutcome(failed("exit 1"), { attempts: 1 }, { maxRetries: 1, status: "cancelled" })).toEqual({ status: "failed", retry: false, error: "exit 1" });
    expect(attemptOutcome({ status: "cancelled", error: "stop", failure: { code: "cancelled", message: "stop" } }, { attempts: 1 }, running)).toEqual({
      status: "cancelled",
      retry: false,
      error: "stop",
    });
  });
});

describe("missionOutcome", () => {
  it("is not over while an entry is pending or running", () => {
    expect(missionOutcome([{ status: "succeeded" }, { status: "pending" }])).toBeNull();
    expect(missionOutcome([{ status: "failed" }, { status: "running" }])).toBeNull();
  });

  it("succeeds when every entry succeeded", () => {
    expect(missionOutcome([{ status: "succeeded" }, { status: "succeeded" }])).toEqual({ status: "succeeded", reason: null });
  });

  it("fails when any entry did not succeed, counting them", () => {
    expect(missionOutcome([{ status: "succeeded" }, { status: "failed" }, { status: "skipped" }, { status: "cancelled" }])).toEqual({
      status: "failed",
      reason: "3 of 4 tasks did not succeed",
    });
  });
});
