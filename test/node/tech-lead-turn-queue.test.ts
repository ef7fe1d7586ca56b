/** The tech lead's turn queue: one session's turns in order, other sessions side by side, the actor kept alive meanwhile. */
import { describe, expect, it } from "vitest";
import { TurnQueue } from "../../src/actors/tech-lead/turn-queue.ts";

/** A turn that records its start and end and finishes when `finish` is called. */
function gate(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    turn: async () => {
      log.push(`${name} start`);
      await done;
      log.push(`${name} end`);
    },
    finish: () => finish(),
  };
}

describe("TurnQueue", () => {
  it("runs a session's turns one after another, in the order queued", async () => {
    const log: string[] = [];
    const kept: Promise<unknown>[] = [];
    const queue = new TurnQueue((work) => kept.push(work));
    const first = gate(log, "first");
    const second = gate(log, "second");
    queue.enqueue("ses_a", first.turn);
    queue.enqueue("ses_a", second.turn);
    await expect.poll(() => log).toEqual(["first start"]);
    second.finish(); // the second may not start before the first ends, even when ready
    first.finish();
    await Promise.all(kept);
    expect(log).toEqual(["first start", "first end", "second start", "second end"]);
  });

  it("runs turns of different sessions side by side", async () => {
    const log: string[] = [];
    const kept: Promise<unknown>[] = [];
    const queue = new TurnQueue((work) => kept.push(work));
    const a = gate(log, "a");
    const b = gate(log, "b");
    queue.enqueue("ses_a", a.turn);
    queue.enqueue("ses_b", b.turn);
    await expect.poll(() => [...log].sort()).toEqual(["a start", "b start"]);
    b.finish();
    a.finish();
    await Promise.all(kept);
    expect(log.slice(2).sort()).toEqual(["a end", "b end"]);
  });

  it("hands every queued turn to keepAlive, settling when that turn has run", async () => {
    const kept: Promise<unknown>[] = [];
    const queue = new TurnQueue((work) => kept.push(work));
    const ran: number[] = [];
    queue.enqueue("ses_a", async () => void ran.push(1));
    queue.enqueue("ses_a", async () => void ran.push(2));
    expect(kept).toHaveLength(2);
    await kept[1];
    expect(ran).toEqual([1, 2]);
  });

  it("starts a session afresh once its queue has drained", async () => {
    const kept: Promise<unknown>[] = [];
    const queue = new TurnQueue((work) => kept.push(work));
    const ran: string[] = [];
    queue.enqueue("ses_a", async () => void ran.push("one"));
    await Promise.all(kept);
    queue.enqueue("ses_a", async () => void ran.push("two"));
    await Promise.all(kept);
    expect(ran).toEqual(["one", "two"]);
  });
});
