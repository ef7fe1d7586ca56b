/** The shared polling wait (test/support/poll.ts): returns what it waited for, throws at its deadline with what it saw. */
import { describe, expect, it } from "vitest";
import { describeValue, pollUntil, waitUntil } from "../support/poll.ts";

describe("pollUntil", () => {
  it("returns the first value that satisfies the condition, reading until then", async () => {
    let reads = 0;
    const value = await pollUntil("the third read", () => ++reads, (n) => n >= 3, { intervalMs: 1 });
    expect(value).toBe(3);
    expect(reads).toBe(3);
  });

  it("awaits async reads and returns at once when the first read already holds", async () => {
    let reads = 0;
    expect(await pollUntil("ready", async () => ({ status: "ready", reads: ++reads }), (v) => v.status === "ready")).toEqual({ status: "ready", reads: 1 });
  });

  it("throws at its deadline naming the condition and the last value seen, never returning quietly", async () => {
    let reads = 0;
    const started = Date.now();
    const error = await pollUntil("the task to end", () => ({ status: "running", reads: ++reads }), (v) => v.status === "succeeded", { timeoutMs: 100, intervalMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`timed out after 100 ms waiting for the task to end; last saw: {"status":"running","reads":${reads}}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(reads).toBeGreaterThan(1);
  });

  it("reports what `show` picks of the last value", async () => {
    const error = await pollUntil("two events", () => [{ type: "status", at: "x" }], (events) => events.length >= 2, { timeoutMs: 20, intervalMs: 5, show: (events) => events.map((e) => e.type) }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/waiting for two events; last saw: \["status"\]$/);
  });

  it("lets an error of the read propagate at once", async () => {
    let reads = 0;
    const failing = () => {
      reads++;
      throw new Error("HTTP 500");
    };
    await expect(pollUntil("anything", failing, () => true, { timeoutMs: 5_000 })).rejects.toThrow("HTTP 500");
    expect(reads).toBe(1);
  });
});

describe("waitUntil", () => {
  it("resolves once the check holds and throws at its deadline with what `show` returns", async () => {
    const seen: string[] = [];
    setTimeout(() => seen.push("hello"), 20);
    await waitUntil("a message", () => seen.length > 0, () => seen, { intervalMs: 5 });
    expect(seen).toEqual(["hello"]);
    await expect(waitUntil("two messages", () => seen.length >= 2, () => seen, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      'timed out after 30 ms waiting for two messages; last saw: ["hello"]',
    );
  });
});

describe("describeValue", () => {
  it("shows JSON, errors by name and message, and cuts long values", () => {
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    expect(describeValue(undefined)).toBe("undefined");
    expect(describeValue(new TypeError("bad"))).toBe("TypeError: bad");
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(describeValue(cycle)).toBe("[object Object]");
    const long = describeValue("x".repeat(5_000));
    expect(long.length).toBeLessThan(2_100);
    expect(long).toMatch(/… \(5002 chars\)$/);
  });
});
