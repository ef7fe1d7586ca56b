/**
 * UserAgent: one user (DESIGN.md §1). Owns the profile, the metadata of the user's personal
 * access tokens (never the tokens themselves; D1 holds only their SHA-256 hashes for lookup),
 * provider credentials (encrypted; see src/models/credentials.ts), the payer mode (per user,
 * overridable per project), budgets, usage counters, reservations of calls in flight and the
 * usage ledger of every model call.
 *
 * Budget checks and usage recording happen here, one request at a time per user, so they are
 * atomic: `beginCall` checks every budget against settled usage plus the reservations of calls
 * in flight and reserves the call's estimate; `settle` replaces the reservation with the
 * upstream's reported usage. A call is admitted while something of each budget is left, so a
 * budget is overshot by at most the calls in flight when it ran out.
 *
 * Reservations live in memory: `beginCall` writes nothing, so it answers without waiting for a
 * storage commit (it sits in front of every model call). If the actor is evicted while calls
 * are in flight their reservations are forgotten, which loosens nothing beyond the guarantee
 * above (those calls are in flight); each is still recorded when it settles.
 */
import { Agent } from "agents";
import { newId } from "../ids.ts";
import type { CredentialProvider, ModelProvider } from "../models/catalog.ts";
import {
  DEFAULT_PAYER_MODE,
  dayWindow,
  monthWindow,
  type BeginCallResult,
  type BudgetLimits,
  type BudgetLine,
  type BudgetScope,
  type BudgetStatus,
  type BudgetUpdate,
  type PayerMode,
  type ProjectModelSettings,
  type SettleRequest,
  type UsageEstimate,
  type UsageGroup,
  type UsageGroupBy,
  type UsageTotals,
} from "../models/usage.ts";

/** A user's profile. */
export interface UserProfile {
  id: string;
  name: string;
  createdAt: string;
}

/** What the user sees of one of their tokens. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
}

/** What the user sees of a stored credential: never the key, only its last four characters. */
export interface CredentialInfo {
  id: string;
  provider: CredentialProvider;
  label: string;
  last4: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A credential to store, already encrypted by the caller (the plain key never reaches the actor). */
export interface NewCredential extends CredentialInfo {
  iv: string;
  ciphertext: string;
}

/** A call in flight is forgotten after this long (ms) if it never settles (its Worker died). */
export const RESERVATION_TTL_MS = 15 * 60_000;
/** Projects whose payer-mode override is kept in memory; past this the cache starts over. */
const PROJECT_CACHE_MAX = 1000;

/** A finished call to record, sent along with the caller's next `beginCall` (or on its own). */
export interface PendingSettle {
  reservationId: string;
  entry: SettleRequest;
}

/** What `beginCall` takes: who calls, for which provider, the budgets that apply and the estimate. */
export interface BeginCall {
  /** Finished calls of the same caller to record first (saves a round trip per tool-loop step). */
  settles?: PendingSettle[];
  provider: ModelProvider;
  projectId: string | null;
  taskId: string | null;
  missionId: string | null;
  taskBudgetUsd: number | null;
  missionBudgetUsd: number | null;
  estimate: UsageEstimate;
}

/** Refusals of `beginCall` that are not budgets: payer mode and credentials. */
export type BeginCallRefusal = { ok: false; code: "credential_missing" | "payer_mode_conflict"; message: string };

/** What `checkStart` answers before a task or mission is created. */
export type StartCheck =
  | { ok: true; payerMode: PayerMode; defaultTaskBudgetUsd: number | null }
  | { ok: false; code: "budget_exceeded" | "credential_missing" | "payer_mode_conflict"; message: string };

type SettingsRow = {
  payer_mode: string | null;
  daily_input_tokens: number | null;
  daily_output_tokens: number | null;
  monthly_usd: number | null;
};

type CredentialRow = {
  id: string;
  provider: CredentialProvider;
  label: string;
  last4: string;
  iv: string;
  ciphertext: string;
  created_at: string;
  last_used_at: string | null;
};

function usd(n: number): string {
  return `$${n.toFixed(n < 1 ? 4 : 2)}`;
}

/** A call in flight: its estimate, held against the budgets until it settles. */
interface Reservation {
  expiresAt: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  taskId: string | null;
  missionId: string | null;
  /** The credential the call uses (its last use is recorded when the call settles). */
  credentialId: string | null;
}

/** The user actor. Keyed by user id. */
export class UserAgent extends Agent<Env> {
  /** Calls in flight, by reservation id (memory only; see the header). */
  private readonly inFlight = new Map<string, Reservation>();
  /**
   * The `model_settings` row and the projects' payer-mode overrides, read once: only this actor
   * writes them (and drops these when it does), and every model call reads them.
   */
  private settingsCache: SettingsRow | null = null;
  private readonly projectPayerModes = new Map<string, PayerMode | null>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS profile (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS model_settings (id INTEGER PRIMARY KEY CHECK (id = 1), payer_mode TEXT,
      daily_input_tokens INTEGER, daily_output_tokens INTEGER, monthly_usd REAL)`);
    sql.exec(`INSERT OR IGNORE INTO model_settings (id) VALUES (1)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS project_settings (project_id TEXT PRIMARY KEY, payer_mode TEXT, default_task_budget_usd REAL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS credentials (id TEXT PRIMARY KEY, provider TEXT NOT NULL, label TEXT NOT NULL,
      last4 TEXT NOT NULL, iv TEXT NOT NULL, ciphertext TEXT NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS counters (period TEXT PRIMARY KEY, input_tokens INTEGER NOT NULL DEFAULT 0,
      output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS scope_spend (scope TEXT PRIMARY KEY, cost_usd REAL NOT NULL DEFAULT 0)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS usage (id TEXT PRIMARY KEY, at TEXT NOT NULL, project_id TEXT, mission_id TEXT, task_id TEXT,
      model TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_input_tokens INTEGER NOT NULL,
      cost_usd REAL NOT NULL, latency_ms INTEGER NOT NULL, status TEXT NOT NULL, http_status INTEGER, source TEXT NOT NULL)`);
    sql.exec(`CREATE INDEX IF NOT EXISTS usage_at ON usage(at)`);
  }

  // ---------- profile and tokens ----------

  /** Stores the profile on first call; returns the stored profile. */
  async ensureProfile(profile: UserProfile): Promise<UserProfile> {
    this.ctx.storage.sql.exec(`INSERT OR IGNORE INTO profile (id, name, created_at) VALUES (?, ?, ?)`, profile.id, profile.name, profile.createdAt);
    const row = this.ctx.storage.sql.exec<{ id: string; name: string; created_at: string }>(`SELECT * FROM profile LIMIT 1`).one();
    return { id: row.id, name: row.name, createdAt: row.created_at };
  }

  /** Records that a token was issued (metadata only). */
  async recordToken(token: TokenInfo): Promise<void> {
    this.ctx.storage.sql.exec(`INSERT OR IGNORE INTO tokens (id, name, created_at) VALUES (?, ?, ?)`, token.id, token.name, token.createdAt);
  }

  /** The user's tokens, oldest first. */
  async listTokens(): Promise<TokenInfo[]> {
    return this.ctx.storage.sql
      .exec<{ id: string; name: string; created_at: string }>(`SELECT * FROM tokens ORDER BY created_at`)
      .toArray()
      .map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  // ---------- credentials ----------

  /** Stores an encrypted credential (validated and sealed by the caller). */
  async addCredential(credential: NewCredential): Promise<CredentialInfo> {
    this.ctx.storage.sql.exec(
      `INSERT INTO credentials (id, provider, label, last4, iv, ciphertext, created_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
      credential.id,
      credential.provider,
      credential.label,
      credential.last4,
      credential.iv,
      credential.ciphertext,
      credential.createdAt,
    );
    return { id: credential.id, provider: credential.provider, label: credential.label, last4: credential.last4, createdAt: credential.createdAt, lastUsedAt: null };
  }

  /** The user's credentials, newest first, without any key material. */
  async listCredentials(): Promise<CredentialInfo[]> {
    return this.ctx.storage.sql
      .exec<CredentialRow>(`SELECT * FROM credentials ORDER BY created_at DESC, id DESC`)
      .toArray()
      .map((r) => ({ id: r.id, provider: r.provider, label: r.label, last4: r.last4, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
  }

  /** Deletes a credential; returns whether it existed. */
  async deleteCredential(id: string): Promise<boolean> {
    return this.ctx.storage.sql.exec(`DELETE FROM credentials WHERE id = ?`, id).rowsWritten > 0;
  }

  // ---------- payer mode and project settings ----------

  /** The user's own payer mode (the default when never set). */
  async getPayerMode(): Promise<PayerMode> {
    return this.userPayerMode();
  }

  /** Sets the user's payer mode. */
  async setPayerMode(mode: PayerMode): Promise<PayerMode> {
    this.ctx.storage.sql.exec(`UPDATE model_settings SET payer_mode = ? WHERE id = 1`, mode);
    this.settingsCache = null;
    return mode;
  }

  /** The user's settings for `projectId` (nulls when never set). */
  async getProjectSettings(projectId: string): Promise<ProjectModelSettings> {
    const row = this.ctx.storage.sql
      .exec<{ payer_mode: PayerMode | null; default_task_budget_usd: number | null }>(`SELECT * FROM project_settings WHERE project_id = ?`, projectId)
      .toArray()[0];
    return { payerMode: row?.payer_mode ?? null, defaultTaskBudgetUsd: row?.default_task_budget_usd ?? null };
  }

  /** Updates the user's settings for `projectId` (absent fields keep their value); returns them. */
  async setProjectSettings(projectId: string, update: Partial<ProjectModelSettings>): Promise<ProjectModelSettings> {
    const current = await this.getProjectSettings(projectId);
    const next = { ...current, ...update };
    this.ctx.storage.sql.exec(
      `INSERT INTO project_settings (project_id, payer_mode, default_task_budget_usd) VALUES (?, ?, ?)
       ON CONFLICT(project_id) DO UPDATE SET payer_mode = excluded.payer_mode, default_task_budget_usd = excluded.default_task_budget_usd`,
      projectId,
      next.payerMode,
      next.defaultTaskBudgetUsd,
    );
    this.projectPayerModes.delete(projectId);
    return next;
  }

  /** The payer mode in effect for `projectId` (or the user's) and the providers the user holds keys for. */
  async modelAccess(projectId: string | null): Promise<{ payerMode: PayerMode; credentialProviders: CredentialProvider[] }> {
    const providers = this.ctx.storage.sql.exec<{ provider: CredentialProvider }>(`SELECT DISTINCT provider FROM credentials`).toArray();
    return { payerMode: this.effectivePayerMode(projectId), credentialProviders: providers.map((r) => r.provider) };
  }

  // ---------- budgets ----------

  /** The user's limits (null: no limit). */
  async getLimits(): Promise<BudgetLimits> {
    const s = this.settings();
    return { dailyInputTokens: s.daily_input_tokens, dailyOutputTokens: s.daily_output_tokens, monthlyUsd: s.monthly_usd };
  }

  /** Sets any of the limits (null removes one); returns the budgets after the change. */
  async setLimits(update: BudgetUpdate): Promise<BudgetStatus> {
    const columns: [keyof BudgetUpdate, string][] = [
      ["dailyInputTokens", "daily_input_tokens"],
      ["dailyOutputTokens", "daily_output_tokens"],
      ["monthlyUsd", "monthly_usd"],
    ];
    for (const [field, column] of columns) {
      if (update[field] !== undefined) this.ctx.storage.sql.exec(`UPDATE model_settings SET ${column} = ? WHERE id = 1`, update[field]);
    }
    this.settingsCache = null;
    return this.getBudgets();
  }

  /** Each budget's limit, usage in the current period, reservations in flight and what is left. */
  async getBudgets(): Promise<BudgetStatus> {
    this.purgeExpired();
    const now = new Date();
    const limits = await this.getLimits();
    const day = this.counter(`day:${dayWindow(now).start.slice(0, 10)}`);
    const month = this.counter(`month:${monthWindow(now).start.slice(0, 7)}`);
    const reserved = this.reserved(null, null);
    const line = (limit: number | null, used: number, held: number, resetsAt: string): BudgetLine => ({
      limit,
      used,
      reserved: held,
      left: limit === null ? null : Math.max(0, limit - used - held),
      resetsAt,
    });
    return {
      dailyInputTokens: line(limits.dailyInputTokens, day.input_tokens, reserved.input_tokens, dayWindow(now).end),
      dailyOutputTokens: line(limits.dailyOutputTokens, day.output_tokens, reserved.output_tokens, dayWindow(now).end),
      monthlyUsd: line(limits.monthlyUsd, month.cost_usd, reserved.cost_usd, monthWindow(now).end),
    };
  }

  /** USD spent so far (settled) by a task or a mission. */
  async scopeSpentUsd(scope: { taskId?: string; missionId?: string }): Promise<number> {
    const key = scope.taskId ? `task:${scope.taskId}` : `mission:${scope.missionId ?? ""}`;
    return this.ctx.storage.sql.exec<{ cost_usd: number }>(`SELECT cost_usd FROM scope_spend WHERE scope = ?`, key).toArray()[0]?.cost_usd ?? 0;
  }

  /**
   * Before a task or mission is created: refuses it when a user budget has less left than the
   * configured minimum (`minUsd` USD for the monthly cap, `minTokens` tokens for the daily
   * ones), when its own budget is below `minUsd`, or when the payer mode cannot pay for
   * `provider`. Answers the effective payer mode and the project's default task budget.
   */
  async checkStart(input: { provider: ModelProvider; projectId: string; budgetUsd?: number | null; minUsd: number; minTokens: number }): Promise<StartCheck> {
    const payer = this.payerCheck(input.provider, input.projectId);
    if (!payer.ok) return payer;
    const project = await this.getProjectSettings(input.projectId);
    const budgets = await this.getBudgets();
    const short = (left: number | null, min: number) => left !== null && left < min;
    if (short(budgets.monthlyUsd.left, input.minUsd)) {
      return { ok: false, code: "budget_exceeded", message: `monthly budget: ${usd(budgets.monthlyUsd.left ?? 0)} left of ${usd(budgets.monthlyUsd.limit ?? 0)}, below the minimum of ${usd(input.minUsd)} to start; raise monthlyUsd with PUT /api/me/budgets or wait until ${budgets.monthlyUsd.resetsAt}` };
    }
    for (const [name, line] of [["daily input token", budgets.dailyInputTokens], ["daily output token", budgets.dailyOutputTokens]] as const) {
      if (short(line.left, input.minTokens)) {
        return { ok: false, code: "budget_exceeded", message: `${name} budget: ${line.left} tokens left of ${line.limit}, below the minimum of ${input.minTokens} to start; raise it with PUT /api/me/budgets or wait until ${line.resetsAt}` };
      }
    }
    // Absent: the project's default; null: explicitly no budget of its own.
    const budgetUsd = input.budgetUsd === undefined ? project.defaultTaskBudgetUsd : input.budgetUsd;
    if (budgetUsd !== null && budgetUsd < input.minUsd) {
      return { ok: false, code: "budget_exceeded", message: `budgetUsd ${usd(budgetUsd)} is below the minimum of ${usd(input.minUsd)} to start` };
    }
    return { ok: true, payerMode: payer.payerMode, defaultTaskBudgetUsd: project.defaultTaskBudgetUsd };
  }

  /**
   * Admits a model call: checks the payer mode (and the credential it needs), then every budget
   * that applies — daily input and output tokens, monthly USD, the task's and the mission's USD —
   * against settled usage plus the reservations of calls in flight, and reserves the call's
   * estimate. Returns the reservation (to settle) with the payer mode and the sealed key to use.
   */
  async beginCall(request: BeginCall): Promise<BeginCallResult | BeginCallRefusal> {
    // Earlier calls of the same caller, settled in this same round trip, count first.
    for (const s of request.settles ?? []) this.applySettle(s.reservationId, s.entry);
    const payer = this.payerCheck(request.provider, request.projectId);
    if (!payer.ok) return payer;
    this.purgeExpired();
    const refusal = this.budgetRefusal(request);
    if (refusal) return { ok: false, code: "budget_exceeded", scope: refusal.scope, message: refusal.message };
    const reservationId = newId("usage");
    let credential: { id: string; iv: string; ciphertext: string } | null = null;
    if (payer.payerMode === "own-key" && payer.credentialProvider) {
      const row = this.latestCredential(payer.credentialProvider);
      if (row) credential = { id: row.id, iv: row.iv, ciphertext: row.ciphertext };
    }
    this.inFlight.set(reservationId, {
      expiresAt: Date.now() + RESERVATION_TTL_MS,
      inputTokens: Math.max(0, Math.ceil(request.estimate.inputTokens)),
      outputTokens: Math.max(0, Math.ceil(request.estimate.outputTokens)),
      costUsd: Math.max(0, request.estimate.costUsd),
      taskId: request.taskId,
      missionId: request.missionId,
      credentialId: credential?.id ?? null,
    });
    return { ok: true, reservationId, payerMode: payer.payerMode, credential };
  }

  /**
   * Ends a call: drops its reservation and records the upstream's reported usage in the ledger,
   * the day and month counters and the task's and mission's spend. Idempotent per reservation.
   */
  async settle(reservationId: string, entry: SettleRequest): Promise<void> {
    this.applySettle(reservationId, entry);
  }

  /** Drops the reservation of a call that was never made (nothing is recorded). */
  async release(reservationId: string): Promise<void> {
    this.inFlight.delete(reservationId);
  }

  /** Settles several calls at once (see `settle`). */
  async settleMany(settles: PendingSettle[]): Promise<void> {
    for (const s of settles) this.applySettle(s.reservationId, s.entry);
  }

  private applySettle(reservationId: string, entry: SettleRequest): void {
    const reservation = this.inFlight.get(reservationId);
    this.inFlight.delete(reservationId);
    this.ctx.storage.transactionSync(() => {
      if (reservation?.credentialId) {
        this.ctx.storage.sql.exec(`UPDATE credentials SET last_used_at = ? WHERE id = ?`, entry.at, reservation.credentialId);
      }
      const inserted = this.ctx.storage.sql.exec(
        `INSERT OR IGNORE INTO usage (id, at, project_id, mission_id, task_id, model, input_tokens, output_tokens, cached_input_tokens,
         cost_usd, latency_ms, status, http_status, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        reservationId,
        entry.at,
        entry.projectId,
        entry.missionId,
        entry.taskId,
        entry.model,
        entry.inputTokens,
        entry.outputTokens,
        entry.cachedInputTokens,
        entry.costUsd,
        Math.round(entry.latencyMs),
        entry.status,
        entry.httpStatus,
        entry.source,
      ).rowsWritten;
      if (inserted === 0) return;
      const at = new Date(entry.at);
      // The day's and the month's counters in one statement.
      this.ctx.storage.sql.exec(
        `INSERT INTO counters (period, input_tokens, output_tokens, cost_usd) VALUES (?1, ?3, ?4, ?5), (?2, ?3, ?4, ?5)
         ON CONFLICT(period) DO UPDATE SET input_tokens = input_tokens + excluded.input_tokens,
         output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd`,
        `day:${dayWindow(at).start.slice(0, 10)}`,
        `month:${monthWindow(at).start.slice(0, 7)}`,
        entry.inputTokens,
        entry.outputTokens,
        entry.costUsd,
      );
      const scopes = [entry.taskId ? `task:${entry.taskId}` : null, entry.missionId ? `mission:${entry.missionId}` : null].filter((scope) => scope !== null);
      if (scopes.length > 0) {
        this.ctx.storage.sql.exec(
          `INSERT INTO scope_spend (scope, cost_usd) VALUES ${scopes.map(() => "(?, ?)").join(", ")} ON CONFLICT(scope) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd`,
          ...scopes.flatMap((scope) => [scope, entry.costUsd]),
        );
      }
    });
  }

  // ---------- accounting ----------

  /**
   * Totals of the calls that started in [from, to) (ISO 8601), grouped by UTC day, model,
   * project, task or mission, in key order; plus the overall totals.
   */
  async usage(groupBy: UsageGroupBy, from: string, to: string): Promise<{ totals: UsageTotals; groups: UsageGroup[] }> {
    const keyExpr = {
      day: "substr(at, 1, 10)",
      model: "model",
      project: "COALESCE(project_id, '')",
      task: "COALESCE(task_id, '')",
      mission: "COALESCE(mission_id, '')",
    }[groupBy];
    const sums = `COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS inputTokens, COALESCE(SUM(output_tokens), 0) AS outputTokens,
      COALESCE(SUM(cached_input_tokens), 0) AS cachedInputTokens, COALESCE(SUM(cost_usd), 0) AS costUsd`;
    const groups = this.ctx.storage.sql
      .exec<{ key: string; calls: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number }>(
        `SELECT ${keyExpr} AS key, ${sums} FROM usage WHERE at >= ? AND at < ? GROUP BY key ORDER BY key`,
        from,
        to,
      )
      .toArray()
      .map((r) => ({ ...r }));
    const totals = this.ctx.storage.sql
      .exec<{ calls: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number }>(
        `SELECT ${sums} FROM usage WHERE at >= ? AND at < ?`,
        from,
        to,
      )
      .one();
    return { totals: { ...totals }, groups };
  }

  // ---------- internals ----------

  private settings(): SettingsRow {
    this.settingsCache ??= { ...this.ctx.storage.sql.exec<SettingsRow>(`SELECT * FROM model_settings WHERE id = 1`).one() };
    return this.settingsCache;
  }

  private userPayerMode(): PayerMode {
    const mode = this.settings().payer_mode;
    return mode === "platform" || mode === "own-key" ? mode : DEFAULT_PAYER_MODE;
  }

  /** The payer mode for a project: its override, else the user's. */
  private effectivePayerMode(projectId: string | null): PayerMode {
    if (projectId) {
      let mode = this.projectPayerModes.get(projectId);
      if (mode === undefined) {
        const stored = this.ctx.storage.sql.exec<{ payer_mode: string | null }>(`SELECT payer_mode FROM project_settings WHERE project_id = ?`, projectId).toArray()[0]?.payer_mode;
        mode = stored === "platform" || stored === "own-key" ? stored : null;
        if (this.projectPayerModes.size >= PROJECT_CACHE_MAX) this.projectPayerModes.clear();
        this.projectPayerModes.set(projectId, mode);
      }
      if (mode) return mode;
    }
    return this.userPayerMode();
  }

  private latestCredential(provider: CredentialProvider): CredentialRow | null {
    return this.ctx.storage.sql.exec<CredentialRow>(`SELECT * FROM credentials WHERE provider = ? ORDER BY created_at DESC, id DESC LIMIT 1`, provider).toArray()[0] ?? null;
  }

  /**
   * Whether the payer mode can pay for a `provider` call. In `own-key` mode, gateway providers
   * need the user's key for that provider (never a silent fall-back to platform credit), and
   * Workers AI (platform only) is refused. `scripted` and `compat` are paid by neither.
   */
  private payerCheck(
    provider: ModelProvider,
    projectId: string | null,
  ): { ok: true; payerMode: PayerMode; credentialProvider: CredentialProvider | null } | BeginCallRefusal {
    const payerMode = this.effectivePayerMode(projectId);
    if (payerMode === "platform" || provider === "scripted" || provider === "compat") return { ok: true, payerMode, credentialProvider: null };
    if (provider === "workers-ai") {
      return {
        ok: false,
        code: "payer_mode_conflict",
        message: "Workers AI models are paid by the platform only, and your payer mode is own-key: set payerMode to platform (PUT /api/me/settings or the project's settings) to use them",
      };
    }
    if (!this.latestCredential(provider)) {
      return {
        ok: false,
        code: "credential_missing",
        message: `your payer mode is own-key but you have no ${provider} credential: add one with POST /api/credentials {"provider":"${provider}","key":"..."} or set payerMode to platform`,
      };
    }
    return { ok: true, payerMode, credentialProvider: provider };
  }

  /** Which budget (if any) has nothing left for another call, with a message naming it. */
  private budgetRefusal(request: BeginCall): { scope: BudgetScope; message: string } | null {
    const now = new Date();
    const limits = this.settings();
    const reserved = this.reserved(null, null);
    if (limits.daily_input_tokens !== null || limits.daily_output_tokens !== null) {
      const day = this.counter(`day:${dayWindow(now).start.slice(0, 10)}`);
      if (limits.daily_input_tokens !== null && day.input_tokens + reserved.input_tokens >= limits.daily_input_tokens) {
        return { scope: "dailyInputTokens", message: `daily input token budget exhausted: ${day.input_tokens} used and ${reserved.input_tokens} in flight of ${limits.daily_input_tokens}; it resets at ${dayWindow(now).end}` };
      }
      if (limits.daily_output_tokens !== null && day.output_tokens + reserved.output_tokens >= limits.daily_output_tokens) {
        return { scope: "dailyOutputTokens", message: `daily output token budget exhausted: ${day.output_tokens} used and ${reserved.output_tokens} in flight of ${limits.daily_output_tokens}; it resets at ${dayWindow(now).end}` };
      }
    }
    if (limits.monthly_usd !== null) {
      const month = this.counter(`month:${monthWindow(now).start.slice(0, 7)}`);
      if (month.cost_usd + reserved.cost_usd >= limits.monthly_usd) {
        return { scope: "monthlyUsd", message: `monthly budget exhausted: ${usd(month.cost_usd)} spent and ${usd(reserved.cost_usd)} in flight of ${usd(limits.monthly_usd)}; it resets at ${monthWindow(now).end}` };
      }
    }
    if (request.taskId && request.taskBudgetUsd !== null) {
      const spent = this.scopeSpend(`task:${request.taskId}`) + this.reserved(request.taskId, null).cost_usd;
      if (spent >= request.taskBudgetUsd) return { scope: "task", message: `task budget exhausted: ${usd(spent)} of ${usd(request.taskBudgetUsd)} spent` };
    }
    if (request.missionId && request.missionBudgetUsd !== null) {
      const spent = this.scopeSpend(`mission:${request.missionId}`) + this.reserved(null, request.missionId).cost_usd;
      if (spent >= request.missionBudgetUsd) return { scope: "mission", message: `mission budget exhausted: ${usd(spent)} of ${usd(request.missionBudgetUsd)} spent` };
    }
    return null;
  }

  private scopeSpend(scope: string): number {
    return this.ctx.storage.sql.exec<{ cost_usd: number }>(`SELECT cost_usd FROM scope_spend WHERE scope = ?`, scope).toArray()[0]?.cost_usd ?? 0;
  }

  private counter(period: string): { input_tokens: number; output_tokens: number; cost_usd: number } {
    return (
      this.ctx.storage.sql.exec<{ input_tokens: number; output_tokens: number; cost_usd: number }>(`SELECT * FROM counters WHERE period = ?`, period).toArray()[0] ?? {
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: 0,
      }
    );
  }

  /** Sums of the reservations in flight: all of them, or a task's, or a mission's. */
  private reserved(taskId: string | null, missionId: string | null): { input_tokens: number; output_tokens: number; cost_usd: number } {
    const sum = { input_tokens: 0, output_tokens: 0, cost_usd: 0 };
    for (const r of this.inFlight.values()) {
      if (taskId && r.taskId !== taskId) continue;
      if (missionId && r.missionId !== missionId) continue;
      sum.input_tokens += r.inputTokens;
      sum.output_tokens += r.outputTokens;
      sum.cost_usd += r.costUsd;
    }
    return sum;
  }

  /** Forgets reservations of calls that never settled (their Worker died). */
  private purgeExpired(): void {
    const now = Date.now();
    for (const [id, r] of this.inFlight) if (r.expiresAt < now) this.inFlight.delete(id);
  }
}
