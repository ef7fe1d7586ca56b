/**
 * UserAgent: one user (docs/architecture.md §1), keyed by user id. What it does, each job in its own module:
 *  - the profile (profile-store.ts; tokens live in D1, src/api/people/tokens.ts);
 *  - provider credentials, encrypted (credential-store.ts; sealed by src/models/credentials.ts);
 *  - the payer mode (per user, overridable per project), the limits and each project's default
 *    task budget (settings-store.ts);
 *  - admitting model calls and tasks: `beginCall` / `settle` / `release` and `admitStart`, under
 *    the budget and payer rules (src/models/budget-rules.ts, payer-rules.ts), holding each call's
 *    estimate while it is in flight (src/models/reservations.ts);
 *  - the usage ledger and its queries (ledger.ts).
 *
 * Budget checks and usage recording happen here, one request at a time per user, so they are
 * atomic: `beginCall` checks every budget against settled usage plus the reservations of calls
 * in flight and reserves the call's estimate; `settle` replaces the reservation with the
 * upstream's reported usage. A call is admitted while something of each budget is left, so a
 * budget is overshot by at most the calls in flight when it ran out. Reservations live in
 * memory, so admitting a call writes nothing of its own; the only writes in `beginCall` are the
 * earlier calls' settles that ride along with it (`settles`: ledger rows and counters), and a
 * `beginCall` without them answers without waiting for a storage commit.
 */
import { Agent } from "agents";
import { newId } from "../../ids.ts";
import { budgetRefusal, budgetStatus, startRefusal, type BudgetReadings } from "../../models/budget-rules.ts";
import type { CredentialProvider, ModelProvider } from "../../models/catalog.ts";
import { payerCheck, type PayerApproval, type PayerRefusal } from "../../models/payer-rules.ts";
import { Reservations } from "../../models/reservations.ts";
import type { BeginCall, BeginCallResult, PendingSettle, SealedCredential, StartCheck, StartRequest } from "../../models/user-actor.ts";
import type { BudgetLimits, BudgetStatus, BudgetUpdate, PayerMode, ProjectModelSettings, SettleRequest, UsageGroup, UsageGroupBy, UsageTotals } from "../../models/usage.ts";
import { CredentialStore, type CredentialInfo, type NewCredential } from "./credential-store.ts";
import { dayPeriod, Ledger, monthPeriod } from "./ledger.ts";
import { ProfileStore, type UserProfile } from "./profile-store.ts";
import { createUserTables } from "./schema.ts";
import { SettingsStore } from "./settings-store.ts";

/** The user actor. Keyed by user id. */
export class UserAgent extends Agent<Env> {
  private readonly profiles: ProfileStore;
  private readonly credentialStore: CredentialStore;
  private readonly settingsStore: SettingsStore;
  private readonly ledger: Ledger;
  /** Calls in flight (memory only; see the header). */
  private readonly reservations = new Reservations();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    createUserTables(sql);
    this.profiles = new ProfileStore(sql);
    this.credentialStore = new CredentialStore(sql);
    this.settingsStore = new SettingsStore(sql);
    this.ledger = new Ledger(sql);
  }

  // ---------- profile ----------

  /** Stores the profile on first call; returns the stored profile. */
  async ensureProfile(profile: UserProfile): Promise<UserProfile> {
    return this.profiles.ensure(profile);
  }

  // ---------- credentials ----------

  /** Stores an encrypted credential (validated and sealed by the caller). */
  async addCredential(credential: NewCredential): Promise<CredentialInfo> {
    return this.credentialStore.add(credential);
  }

  /** The user's credentials, newest first, without any key material. */
  async listCredentials(): Promise<CredentialInfo[]> {
    return this.credentialStore.list();
  }

  /** Deletes a credential; returns whether it existed. */
  async deleteCredential(id: string): Promise<boolean> {
    return this.credentialStore.delete(id);
  }

  // ---------- payer mode and project settings ----------

  /** The user's own payer mode (the default when never set). */
  async getPayerMode(): Promise<PayerMode> {
    return this.settingsStore.payerMode();
  }

  /** Sets the user's payer mode; returns it. */
  async setPayerMode(mode: PayerMode): Promise<PayerMode> {
    this.settingsStore.setPayerMode(mode);
    return mode;
  }

  /** The user's settings for `projectId` (nulls when never set). */
  async getProjectSettings(projectId: string): Promise<ProjectModelSettings> {
    return this.settingsStore.project(projectId);
  }

  /** Updates the user's settings for `projectId` (absent fields keep their value); returns them. */
  async setProjectSettings(projectId: string, update: Partial<ProjectModelSettings>): Promise<ProjectModelSettings> {
    return this.settingsStore.setProject(projectId, update);
  }

  /** The payer mode in effect for `projectId` (or the user's) and the providers the user holds keys for. */
  async modelAccess(projectId: string | null): Promise<{ payerMode: PayerMode; credentialProviders: CredentialProvider[] }> {
    const credentialProviders = this.credentialStore.providers();
    return { payerMode: this.settingsStore.effectivePayerMode(projectId), credentialProviders };
  }

  // ---------- budgets ----------

  /** The user's limits (null: no limit). */
  async getLimits(): Promise<BudgetLimits> {
    return this.settingsStore.limits();
  }

  /** Sets any of the limits (null removes one); returns the budgets after the change. */
  async setLimits(update: BudgetUpdate): Promise<BudgetStatus> {
    this.settingsStore.setLimits(update);
    return this.getBudgets();
  }

  /** Each budget's limit, usage in the current period, reservations in flight and what is left. */
  async getBudgets(): Promise<BudgetStatus> {
    return this.budgetStatus();
  }

  // ---------- admitting tasks and calls ----------

  /**
   * Before a task or mission is created: refuses it when the payer mode cannot pay for
   * `provider`, when a user budget has less left than the minimum to start, or when its own
   * budget (absent: the project's default) is below `minUsd` (budget-rules.ts `startRefusal`).
   * Answers the effective payer mode and the project's default task budget (USD).
   */
  async admitStart(request: StartRequest): Promise<StartCheck> {
    const payer = this.payerCheck(request.provider, request.projectId);
    if (!payer.ok) return payer;
    const project = this.settingsStore.project(request.projectId);
    // Absent: the project's default; null: explicitly no budget of its own.
    const budgetUsd = request.budgetUsd === undefined ? project.defaultTaskBudgetUsd : request.budgetUsd;
    const refusal = startRefusal(this.budgetStatus(), budgetUsd, request);
    if (refusal) return { ok: false, code: "budget_exceeded", message: refusal };
    return { ok: true, payerMode: payer.payerMode, defaultTaskBudgetUsd: project.defaultTaskBudgetUsd };
  }

  /**
   * Admits a model call: records the caller's earlier calls sent along (`settles`), checks the
   * payer mode (and the credential it needs), then every budget that applies — daily input and
   * output tokens, monthly USD, the task's and the mission's USD — against settled usage plus
   * the reservations of calls in flight (budget-rules.ts `budgetRefusal`), and reserves the
   * call's estimate (in memory). Returns the reservation (to settle) with the payer mode and the
   * sealed key to use, a budget refusal (`budget_exceeded` with its scope), or a payer refusal
   * (`credential_missing`, `payer_mode_conflict`; payer-rules.ts). The settles sent along are
   * recorded even when the call is refused.
   */
  async beginCall(request: BeginCall): Promise<BeginCallResult | PayerRefusal> {
    // Earlier calls of the same caller, settled in this same round trip, count first.
    for (const s of request.settles ?? []) this.applySettle(s.reservationId, s.entry);
    const payer = this.payerCheck(request.provider, request.projectId);
    if (!payer.ok) return payer;
    this.reservations.purgeExpired();
    const now = new Date();
    const refusal = budgetRefusal(request, this.budgetReadings(now), now);
    if (refusal) return { ok: false, code: "budget_exceeded", scope: refusal.scope, message: refusal.message };
    const reservationId = newId("usage");
    let credential: SealedCredential | null = null;
    if (payer.payerMode === "own-key" && payer.credentialProvider) credential = this.credentialStore.latest(payer.credentialProvider);
    this.reservations.hold(reservationId, { estimate: request.estimate, taskId: request.taskId, missionId: request.missionId, credentialId: credential?.id ?? null });
    return { ok: true, reservationId, payerMode: payer.payerMode, credential };
  }

  /**
   * Ends a call: drops its reservation and records the upstream's reported usage in the ledger,
   * the day and month counters and the task's and mission's spend. Idempotent per reservation.
   */
  async settle(reservationId: string, entry: SettleRequest): Promise<void> {
    this.applySettle(reservationId, entry);
  }

  /** Settles several calls at once, in order (see `settle`). */
  async settleMany(settles: PendingSettle[]): Promise<void> {
    for (const s of settles) this.applySettle(s.reservationId, s.entry);
  }

  /** Drops the reservation of a call that was never made (nothing is recorded). */
  async release(reservationId: string): Promise<void> {
    this.reservations.take(reservationId);
  }

  // ---------- accounting ----------

  /**
   * Totals of the calls that started in [from, to) (ISO 8601), grouped by UTC day, model,
   * project, task, mission or source, in key order; plus the overall totals.
   */
  async usage(groupBy: UsageGroupBy, from: string, to: string): Promise<{ totals: UsageTotals; groups: UsageGroup[] }> {
    return this.ledger.usage(groupBy, from, to);
  }

  // ---------- internals ----------

  /** Whether the payer mode in effect for `projectId` can pay for a `provider` call (payer-rules.ts). */
  private payerCheck(provider: ModelProvider, projectId: string | null): PayerApproval | PayerRefusal {
    return payerCheck(this.settingsStore.effectivePayerMode(projectId), provider, (p) => this.credentialStore.latest(p) !== null);
  }

  /** The budgets now (expired reservations forgotten first). */
  private budgetStatus(): BudgetStatus {
    this.reservations.purgeExpired();
    const now = new Date();
    return budgetStatus(this.settingsStore.limits(), this.ledger.settledIn(dayPeriod(now)), this.ledger.settledIn(monthPeriod(now)), this.reservations.sum(), now);
  }

  /** What `budgetRefusal` reads at `now`, from the settings, the ledger and the reservations (read lazily). */
  private budgetReadings(now: Date): BudgetReadings {
    return {
      limits: this.settingsStore.limits(),
      reserved: (filter) => this.reservations.sum(filter),
      settledDay: () => this.ledger.settledIn(dayPeriod(now)),
      settledMonth: () => this.ledger.settledIn(monthPeriod(now)),
      spentUsd: (scope) => this.ledger.spentUsd(scope),
    };
  }

  /** Records one finished call (its credential's last use too) and drops its reservation. */
  private applySettle(reservationId: string, entry: SettleRequest): void {
    const reservation = this.reservations.take(reservationId);
    this.ctx.storage.transactionSync(() => {
      if (reservation?.credentialId) this.credentialStore.markUsed(reservation.credentialId, entry.at);
      this.ledger.record(reservationId, entry);
    });
  }
}
