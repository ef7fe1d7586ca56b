/**
 * Deferred settles: the usage of a tool loop's finished step rides along with the loop's next
 * `beginCall` to the user's actor — one round trip per step instead of two — or is sent on its
 * own after DEFERRED_SETTLE_MS. Kept per loop (`userId:taskId`, so only that task's own actor
 * picks it up) in this isolate's memory; the next `beginCall` of the loop always carries (or
 * waits for) everything deferred before it, so a budget check never misses an earlier step.
 */
import { userAgentStub, type PendingSettle } from "./user-actor.ts";

/**
 * How long a finished tool-loop step's usage may wait to ride along with the loop's next
 * `beginCall` before it is sent on its own, ms. Short, so usage shows up almost at once.
 */
export const DEFERRED_SETTLE_MS = 200;

/** A loop's usage not yet sent, the timer that sends it alone, and the send in progress. */
interface Slot {
  settles: PendingSettle[];
  timer: ReturnType<typeof setTimeout> | null;
  sending: Promise<void> | null;
}

const slots = new Map<string, Slot>();

/** The loop a call belongs to (`userId:taskId`), or null for a call outside a task (nothing is deferred for it). */
export function loopKey(context: { userId: string; taskId?: string | null }): string | null {
  return context.taskId ? `${context.userId}:${context.taskId}` : null;
}

/** Sends a loop's deferred usage now, on its own. Never throws: a failure is logged. */
async function flush(env: Env, userId: string, key: string): Promise<void> {
  const slot = slots.get(key);
  if (!slot || slot.settles.length === 0) return;
  if (slot.timer) clearTimeout(slot.timer);
  slot.timer = null;
  const settles = slot.settles.splice(0);
  const sending = (async () => {
    try {
      await (await userAgentStub(env, userId)).settleMany(settles);
    } catch (error) {
      console.error(`usage of ${settles.length} call(s) for ${userId} could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
  })();
  slot.sending = sending;
  await sending;
  if (slot.sending === sending) slot.sending = null;
  forgetIfIdle(key);
}

/** Drops a loop's entry once nothing of it is pending (loops end; isolates live on). */
function forgetIfIdle(key: string): void {
  const slot = slots.get(key);
  if (slot && slot.settles.length === 0 && !slot.timer && !slot.sending) slots.delete(key);
}

/**
 * Defers `settle` (a finished step of loop `key`, user `userId`): it goes with the loop's next
 * `beginCall`, or on its own within DEFERRED_SETTLE_MS.
 */
export function deferSettle(env: Env, userId: string, key: string, settle: PendingSettle): void {
  const slot = slots.get(key) ?? { settles: [], timer: null, sending: null };
  slots.set(key, slot);
  slot.settles.push(settle);
  slot.timer ??= setTimeout(() => void flush(env, userId, key), DEFERRED_SETTLE_MS);
}

/** A loop's deferred usage taken to ride along with its next `beginCall`. */
export interface TakenSettles {
  /** The settles to send with the call, oldest first. */
  settles: PendingSettle[];
  /** The call was not delivered: puts the settles back (first in line) and restarts the timer. */
  giveBack(): void;
  /** The call was delivered: forgets the loop's entry if nothing else is pending. */
  done(): void;
}

/**
 * Takes loop `key`'s deferred usage for its next `beginCall` (nothing when `key` is null),
 * first waiting for a send in progress so the usage reaches the actor in order; stops the
 * timer. The caller must then call `done` or `giveBack`.
 */
export async function takeDeferred(env: Env, userId: string, key: string | null): Promise<TakenSettles> {
  const slot = key ? slots.get(key) : undefined;
  if (slot?.sending) await slot.sending;
  const settles = slot ? slot.settles.splice(0) : [];
  if (slot?.timer) {
    clearTimeout(slot.timer);
    slot.timer = null;
  }
  return {
    settles,
    giveBack() {
      if (slot && key && settles.length) {
        slot.settles.unshift(...settles);
        slot.timer ??= setTimeout(() => void flush(env, userId, key), DEFERRED_SETTLE_MS);
      }
    },
    done() {
      if (key) forgetIfIdle(key);
    },
  };
}
