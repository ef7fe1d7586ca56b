/**
 * Reservations of calls in flight (docs/architecture.md §2.4): each admitted call holds its estimate
 * against the budgets until it settles or is released. They live in memory only, in the
 * user's actor: holding a reservation writes nothing, so admitting a call answers without
 * waiting for a storage commit (it sits in front of every model call) unless earlier calls'
 * settles ride along with it (deferred-settles.ts), which are written to the ledger first.
 * If the actor is evicted while calls
 * are in flight their reservations are forgotten, which loosens nothing beyond the budgets'
 * guarantee (a budget is overshot by at most the calls in flight); each call is still recorded
 * when it settles.
 */
import { NO_USAGE, type UsageSums } from "./budget-rules.ts";
import type { UsageEstimate } from "./usage.ts";

/** A call in flight is forgotten after this long (ms) if it never settles (its Worker died). */
export const RESERVATION_TTL_MS = 15 * 60_000;

/** A call in flight: its estimate (whole tokens, USD), held against the budgets until it settles. */
export interface Reservation {
  /** When it is forgotten if never settled (epoch ms). */
  expiresAt: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  taskId: string | null;
  missionId: string | null;
  /** The credential the call uses (its last use is recorded when the call settles). */
  credentialId: string | null;
}

/** The calls in flight of one user, by reservation id. */
export class Reservations {
  private readonly inFlight = new Map<string, Reservation>();
  private readonly now: () => number;

  /** `now` gives the time in epoch ms (a clock for tests; Date.now by default). */
  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /**
   * Holds `estimate` for call `id` until RESERVATION_TTL_MS from now: tokens rounded up, and
   * negative numbers counted as 0.
   */
  hold(id: string, call: { estimate: UsageEstimate; taskId: string | null; missionId: string | null; credentialId: string | null }): void {
    this.inFlight.set(id, {
      expiresAt: this.now() + RESERVATION_TTL_MS,
      inputTokens: Math.max(0, Math.ceil(call.estimate.inputTokens)),
      outputTokens: Math.max(0, Math.ceil(call.estimate.outputTokens)),
      costUsd: Math.max(0, call.estimate.costUsd),
      taskId: call.taskId,
      missionId: call.missionId,
      credentialId: call.credentialId,
    });
  }

  /** Removes call `id`'s reservation and returns it (undefined when unknown, expired or already taken). */
  take(id: string): Reservation | undefined {
    const reservation = this.inFlight.get(id);
    this.inFlight.delete(id);
    return reservation;
  }

  /** Sums of the reservations in flight: all of them, or only a task's, or only a mission's. */
  sum(filter: { taskId?: string; missionId?: string } = {}): UsageSums {
    const sum = { ...NO_USAGE };
    for (const r of this.inFlight.values()) {
      if (filter.taskId && r.taskId !== filter.taskId) continue;
      if (filter.missionId && r.missionId !== filter.missionId) continue;
      sum.inputTokens += r.inputTokens;
      sum.outputTokens += r.outputTokens;
      sum.costUsd += r.costUsd;
    }
    return sum;
  }

  /** Forgets reservations past their expiry (calls that never settled because their Worker died). */
  purgeExpired(): void {
    const now = this.now();
    for (const [id, r] of this.inFlight) if (r.expiresAt < now) this.inFlight.delete(id);
  }
}
