/**
 * UserAgent: one user (docs/architecture.md §1), keyed by user id. What it does, each job in its own module:
 *  - the profile (profile-store.ts; tokens live in D1, src/api/people/tokens.ts);
 *  - provider credentials, encrypted (credential-store.ts; sealed by src/models/credentials.ts);
 *  - the payer mode (per user, overridable per project), the limits and each project's default
 *    task budget (settings-store.ts);
 *  - admitting model calls and tasks: `beginCall` / `settle` / `release` and `admitStart`, under
 *    the budget and payer rules (src/models/budget-rules.ts, payer-rules.ts), holding each call's
 *    estimate while it is in flight (src/models/reservations.ts);
 *  - the usage ledger and its queries (ledger.ts);
 *  - notifications (issue 15): stored and listed (notification-store.ts), sent live to the
 *    user's own sockets (`/agents/user-agent/<userId>`, user-socket.ts), delivered by browser
 *    push and the outgoing webhook on the actor's alarms (notification-delivery.ts, rules in
 *    delivery-rules.ts).
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
import { Agent, type Connection, type ConnectionContext, type WSMessage } from "agents";
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
import { newNotificationSchema, pushSubscriptionSchema, type NewNotification, type Notification, type NotificationSettings, type PushSubscriptionJson } from "../../shared/notification.ts";
import { channelsFor, retryDelaysFrom } from "./delivery-rules.ts";
import { NotificationDelivery, vapidConfig, type DeliveryRecord } from "./notification-delivery.ts";
import { NotificationStore, type PushSubscriptionInfo } from "./notification-store.ts";
import { UserSocket, userSocketStillAllowed, type UserSocketFilter } from "./user-socket.ts";

/** The user actor. Keyed by user id. */
export class UserAgent extends Agent<Env> {
  private readonly profiles: ProfileStore;
  private readonly credentialStore: CredentialStore;
  private readonly settingsStore: SettingsStore;
  private readonly ledger: Ledger;
  /** Calls in flight (memory only; see the header). */
  private readonly reservations = new Reservations();
  private readonly notifications: NotificationStore;
  private readonly delivery: NotificationDelivery;
  private readonly socket: UserSocket;
  /** Whether `deliverNotifications` runs in this instance, and whether it was asked again meanwhile. */
  private delivering = false;
  private deliverAgain = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    createUserTables(sql);
    this.profiles = new ProfileStore(sql);
    this.credentialStore = new CredentialStore(sql);
    this.settingsStore = new SettingsStore(sql);
    this.ledger = new Ledger(sql);
    this.notifications = new NotificationStore(sql);
    this.delivery = new NotificationDelivery({
      sql,
      env,
      store: this.notifications,
      retryDelaysSeconds: retryDelaysFrom(env.SAM_NOTIFICATION_RETRY_SECONDS),
      scheduleAt: (atMs) => this.scheduleDeliveries(atMs),
    });
    this.socket = new UserSocket({
      userId: () => this.name,
      connections: () => this.getConnections(),
      unreadCount: () => this.notifications.unreadCount(),
      stillAllowed: (state) => userSocketStillAllowed(this.env, state),
      scheduleExpiry: (at) => void this.schedule(at, "closeExpiredSockets", at.toISOString(), { idempotent: true }),
    });
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

  /**
   * Records a cost that had no reservation (a VM's time, issue 16: source `vm`): one ledger row
   * under `entryId` plus the day and month counters and the task's and mission's spend, so it
   * counts against the budgets of later calls. Idempotent per `entryId` (a second call records
   * nothing). Callers are SAM's own actors (the entry is typed, not parsed).
   */
  async recordUsage(entryId: string, entry: SettleRequest): Promise<void> {
    this.ctx.storage.transactionSync(() => this.ledger.record(entryId, entry));
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

  // ---------- notifications ----------

  /**
   * Raises a notification for this user (src/shared/notification.ts): stores it (null when its
   * `dedupeKey` was seen before: nothing else happens), sends `notification.new` to the user's
   * open sockets, and queues its deliveries to the channels whose kinds include it (push to each
   * subscribed browser when VAPID is configured, the webhook when set), run at once on an alarm.
   * @throws ZodError when `input` is not a NewNotification.
   */
  async notify(input: NewNotification): Promise<Notification | null> {
    const parsed = newNotificationSchema.parse(input);
    const nowMs = Date.now();
    const stored = this.ctx.storage.transactionSync(() => {
      const notification = this.notifications.insert(parsed, new Date(nowMs));
      if (!notification) return null;
      const subscriptions = this.notifications.subscriptions();
      const channels = channelsFor(this.notifications.settings(), notification.kind, vapidConfig(this.env) !== null, subscriptions.length);
      return { notification, queued: this.delivery.enqueue(notification, channels, subscriptions, nowMs) };
    });
    if (!stored) return null;
    this.socket.send({ type: "notification.new", notification: stored.notification, unreadCount: this.notifications.unreadCount() });
    if (stored.queued > 0) await this.scheduleDeliveries(nowMs);
    return stored.notification;
  }

  /** The newest `limit` notifications (only unread ones when `unreadOnly`), newest first, and how many are unread. */
  async listNotifications(unreadOnly: boolean, limit: number): Promise<{ notifications: Notification[]; unreadCount: number }> {
    return { notifications: this.notifications.list(unreadOnly, limit), unreadCount: this.notifications.unreadCount() };
  }

  /** Marks `ids` (ids not this user's are ignored) or every notification (`"all"`) read; sends the new unread count to the user's sockets when it changed. Returns it. */
  async markNotificationsRead(ids: string[] | "all"): Promise<{ unreadCount: number }> {
    const changed = this.notifications.markRead(ids);
    const unreadCount = this.notifications.unreadCount();
    if (changed > 0) this.socket.send({ type: "notification.unread", unreadCount });
    return { unreadCount };
  }

  /** Where the user's notifications go beyond the page (defaults: push every kind, no webhook). */
  async getNotificationSettings(): Promise<NotificationSettings> {
    return this.notifications.settings();
  }

  /**
   * Saves the delivery settings; `origin` is SAM's origin the webhook's links start with. The
   * webhook URL's rule (https; http on loopback in local mode) is checked by the caller (the API).
   * @throws ZodError when `settings` is not NotificationSettings.
   */
  async setNotificationSettings(settings: NotificationSettings, origin: string): Promise<NotificationSettings> {
    return this.notifications.setSettings(settings, origin);
  }

  /**
   * Stores a browser's push subscription (`PushSubscription.toJSON()`); the same endpoint again
   * updates its keys (`created: false`). @throws ZodError when it is not one.
   */
  async addPushSubscription(subscription: PushSubscriptionJson): Promise<{ subscription: PushSubscriptionInfo; created: boolean }> {
    return this.notifications.addSubscription(pushSubscriptionSchema.parse(subscription));
  }

  /** The user's push subscriptions (never their keys), oldest first. */
  async listPushSubscriptions(): Promise<PushSubscriptionInfo[]> {
    return this.notifications.subscriptions().map(({ keys: _keys, ...info }) => info);
  }

  /** Removes a push subscription; returns whether it existed. */
  async deletePushSubscription(id: string): Promise<boolean> {
    return this.notifications.deleteSubscription(id);
  }

  /** The newest `limit` (1…1000) delivery records, newest first: what was sent where, attempts, status and last error. */
  async listDeliveries(limit = 100): Promise<DeliveryRecord[]> {
    return this.delivery.records(Math.min(Math.max(1, Math.floor(limit)), 1000));
  }

  /**
   * Alarm callback: attempts every delivery that is due (notification-delivery.ts); runs once
   * more when asked again while running. Idempotent: each attempt is claimed first.
   */
  async deliverNotifications(): Promise<void> {
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = true;
    try {
      do {
        this.deliverAgain = false;
        await this.delivery.runDue(Date.now());
        // Asked again meanwhile, or more were due than one run takes: run again.
      } while (this.deliverAgain || (this.delivery.nextDueAt() ?? Infinity) <= Date.now());
    } catch (error) {
      console.error(`user ${this.name}: delivering notifications failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.delivering = false;
    }
    const next = this.delivery.nextDueAt();
    if (next !== null) await this.scheduleDeliveries(next);
  }

  // ---------- the user's socket ----------

  /** Accepts a socket the Worker authenticated as this very user; closes any other (user-socket.ts). */
  override onConnect(connection: Connection, context: ConnectionContext): void {
    this.socket.connect(connection, context);
  }

  /** The socket takes no frames of its own: anything a client sends gets an `error` frame. */
  override onMessage(connection: Connection, _message: WSMessage): void {
    this.socket.refuseFrame(connection);
  }

  /** Forgets a closed connection's frame count. */
  override onClose(connection: Connection): void {
    this.socket.forget(connection.id);
  }

  /** The user's socket sends only SAM's frames: no Agents SDK identity, state or MCP frames. */
  override shouldSendProtocolMessages(): boolean {
    return false;
  }

  /** Refuses every change of the Agents SDK's shared state that a client sends (as ProjectAgent). @throws Error for any change not made by the server. */
  override validateStateChange(_nextState: unknown, source: Connection | "server"): void {
    if (source !== "server") throw new Error("clients may not change this actor's state");
  }

  /** Closes this user's sockets (all, or those opened with one token) when their access changed (suspended, token revoked, signed out). Returns how many. */
  async closeConnections(filter: UserSocketFilter, reason: string): Promise<number> {
    return this.socket.closeWhere(filter, reason);
  }

  /** Closes the sockets whose token expired by now (the alarm set at each token's expiry runs it). Returns how many. */
  async closeExpiredSockets(): Promise<number> {
    return this.socket.closeExpired();
  }

  // ---------- internals ----------

  /**
   * Makes sure `deliverNotifications` runs at or just after `atMs` (epoch ms). The Agents SDK
   * keeps a schedule's time in whole seconds (rounded down), so the time is rounded up to the
   * next second (a due delivery waits at most a second) and named by it: one alarm per second,
   * never one that fires before its deliveries are due.
   */
  private async scheduleDeliveries(atMs: number): Promise<void> {
    const second = Math.ceil(atMs / 1000);
    await this.schedule(new Date(second * 1000), "deliverNotifications", String(second), { idempotent: true });
  }

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
