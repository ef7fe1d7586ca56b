/**
 * The contract between the models layer and the user's actor (`UserAgent`, which owns the
 * budgets, reservations and the usage ledger): what the gate sends it (`BeginCall`,
 * `PendingSettle`, `StartRequest`), what it answers (`BeginCallResult`, `StartCheck`), and how
 * its stub is reached. The shapes live here, not in the actor, so the gate never imports an
 * actor module; the stub is typed through the global `Env` (the composition root names the
 * class).
 */
import { getAgentByName } from "agents";
import type { ModelProvider } from "./catalog.ts";
import type { BudgetScope, PayerMode, SettleRequest, UsageEstimate } from "./usage.ts";

/** A finished call to record, sent along with the caller's next `beginCall` (or on its own). */
export interface PendingSettle {
  /** The id `beginCall` answered; it becomes the ledger row's id (so settling twice records once). */
  reservationId: string;
  entry: SettleRequest;
}

/** What `UserAgent.beginCall` takes: who calls, for which provider, the budgets that apply and the estimate. */
export interface BeginCall {
  /** Finished calls of the same caller to record first (saves a round trip per tool-loop step). */
  settles?: PendingSettle[];
  provider: ModelProvider;
  projectId: string | null;
  taskId: string | null;
  missionId: string | null;
  /** The task's USD budget; null: none. */
  taskBudgetUsd: number | null;
  /** The mission's USD budget; null: none. */
  missionBudgetUsd: number | null;
  estimate: UsageEstimate;
}

/** The sealed key of a credential, to decrypt for one call (see credentials.ts `openSecret`). */
export interface SealedCredential {
  id: string;
  iv: string;
  ciphertext: string;
}

/** The answer of `UserAgent.beginCall` when admitted, or refused by a budget. */
export type BeginCallResult =
  | {
      ok: true;
      reservationId: string;
      payerMode: PayerMode;
      /** The sealed key to decrypt for this call (own-key mode and a provider that needs one). */
      credential: SealedCredential | null;
    }
  | { ok: false; code: "budget_exceeded"; scope: BudgetScope; message: string };

/**
 * What `UserAgent.admitStart` takes before a task or mission is created: the provider of its
 * model, its project, its own USD budget (absent: the project's default; null: none) and the
 * minimums to start (see budget-rules.ts `startMinimums`).
 */
export interface StartRequest {
  provider: ModelProvider;
  projectId: string;
  budgetUsd?: number | null;
  /** USD that must be left of the monthly budget, and the least budget of its own. */
  minUsd: number;
  /** Tokens that must be left of each daily token budget. */
  minTokens: number;
}

/** What `UserAgent.admitStart` answers: the payer mode and the project's default task budget (USD), or why it may not start. */
export type StartCheck =
  | { ok: true; payerMode: PayerMode; defaultTaskBudgetUsd: number | null }
  | { ok: false; code: "budget_exceeded" | "credential_missing" | "payer_mode_conflict"; message: string };

/** A stub of the user's actor (`UserAgent`), as the global `Env` types its namespace. */
export type UserAgentStub = ReturnType<Env["UserAgent"]["get"]>;

/** Users whose actor this isolate has already initialized through `getAgentByName`. */
const initialized = new Set<string>();

/**
 * The stub of user `userId`'s actor. The first use in an isolate goes through `getAgentByName`
 * (which initializes the actor, one round trip); later ones address it directly.
 */
export async function userAgentStub(env: Env, userId: string): Promise<UserAgentStub> {
  if (initialized.has(userId)) return env.UserAgent.get(env.UserAgent.idFromName(userId));
  const stub = await getAgentByName(env.UserAgent, userId);
  initialized.add(userId);
  return stub;
}
