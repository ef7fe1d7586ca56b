/**
 * The tech lead's turn queue: the turns of one session run one after another (a turn reads the
 * conversation the previous one stored), while turns of different sessions run side by side.
 * Pure: no storage, no `agents` import; the actor gives it `keepAlive` (`ctx.waitUntil`).
 */

/** One session's turns in order; what the actor holds per instance. */
export class TurnQueue {
  /** Session id → its last queued turn (removed when that turn ends and none follows). */
  private readonly tails = new Map<string, Promise<void>>();

  /** Keeps the actor alive until a queued turn settles (the actor's `ctx.waitUntil`). */
  private readonly keepAlive: (work: Promise<unknown>) => void;

  /** @param keepAlive keeps the actor alive until a queued turn settles (the actor's `ctx.waitUntil`). */
  constructor(keepAlive: (work: Promise<unknown>) => void) {
    this.keepAlive = keepAlive;
  }

  /**
   * Runs `turn` after the session's queued turns have finished, and returns at once. A turn
   * must report its own failures (the tech lead's never throw): one that throws skips the turns
   * queued behind it, and its error reaches `keepAlive`'s promise.
   */
  enqueue(sessionId: string, turn: () => Promise<void>): void {
    const previous = this.tails.get(sessionId) ?? Promise.resolve();
    const next = previous.then(turn);
    this.tails.set(sessionId, next);
    this.keepAlive(
      next.finally(() => {
        if (this.tails.get(sessionId) === next) this.tails.delete(sessionId);
      }),
    );
  }
}
