/**
 * A project's triggers (issue 15, "Triggers"; docs/architecture.md §9): their definitions in the
 * project actor's SQLite, the D1 index that maps a trigger to its project (for `/hooks/<id>`),
 * a webhook trigger's secret sealed with AES-GCM under `ENCRYPTION_KEY` (models/credentials.ts,
 * bound to the project and trigger ids) and shown only when made or rotated, and a cron trigger's
 * Agents SDK schedule (its id kept in the row; replaced when the schedule or `enabled` changes,
 * cancelled on delete) through the `TriggerClock` the actor gives.
 */
import { newId } from "../../ids.ts";
import { registerTrigger, unregisterTrigger } from "../../indexes.ts";
import { z } from "zod";
import { EncryptionUnavailableError, openSecret, sealSecret, type SealedSecret } from "../../models/credentials.ts";
import { hookPath, triggerTemplateSchema, type TriggerCreate, type TriggerKind, type TriggerPatch, type TriggerTemplate, type TriggerView } from "../../shared/trigger.ts";
import { cronProblem, newWebhookSecret, nextDueMs, normalizeCron } from "./trigger-rules.ts";
import { deleteRuns, listRuns } from "./trigger-runs.ts";

/** The actor's scheduling, as triggers use it: a cron schedule calling back `fireCronTrigger({triggerId})`, and its cancellation. */
export interface TriggerClock {
  /** Schedules `cron` (5 fields, UTC) for `triggerId`; returns the SDK schedule's id. */
  schedule(cron: string, triggerId: string): Promise<string>;
  /** Cancels SDK schedule `scheduleId` (a no-op when it is gone). */
  cancel(scheduleId: string): Promise<void>;
}

/** A trigger as stored, with what the API never shows (the sealed secret, the schedule id). */
export interface TriggerRecord {
  id: string;
  projectId: string;
  name: string;
  kind: TriggerKind;
  schedule: string | null;
  template: TriggerTemplate;
  enabled: boolean;
  createdBy: string;
  runsAs: string;
  createdAt: string;
  updatedAt: string;
  sealed: SealedSecret | null;
  scheduleId: string | null;
  lastDueMs: number | null;
}

/** Bad input the schemas cannot see (a cron expression the library refuses, a schedule on a webhook); the API answers 400 with its message. */
export class TriggerInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TriggerInputError";
  }
}

type TriggerRow = {
  id: string;
  name: string;
  kind: string;
  schedule: string | null;
  template: string;
  enabled: number;
  created_by: string;
  runs_as: string;
  created_at: string;
  updated_at: string;
  secret_iv: string | null;
  secret_ciphertext: string | null;
  schedule_id: string | null;
  last_due_ms: number | null;
};

/** The triggers of one project. */
export class TriggerStore {
  private readonly storage: DurableObjectStorage;
  private readonly env: Env;
  private readonly projectId: () => string;
  private readonly clock: TriggerClock;

  /** The triggers in `storage` of the project whose id `projectId()` gives, scheduled through `clock`. */
  constructor(storage: DurableObjectStorage, env: Env, projectId: () => string, clock: TriggerClock) {
    this.storage = storage;
    this.env = env;
    this.projectId = projectId;
    this.clock = clock;
  }

  /**
   * Makes a trigger run as `userId` (its creator): indexed in D1, stored, and when it is an enabled
   * cron trigger, scheduled. Returns it with a webhook trigger's secret (shown this once; null for cron).
   * @throws TriggerInputError for a schedule the cron library refuses; EncryptionUnavailableError when a webhook secret cannot be sealed.
   */
  async create(input: TriggerCreate, userId: string): Promise<{ trigger: TriggerRecord; secret: string | null }> {
    const schedule = checkedSchedule(input.kind, input.schedule ?? null);
    const id = newId("trigger");
    const now = new Date().toISOString();
    const secret = input.kind === "webhook" ? newWebhookSecret() : null;
    const sealed = secret ? await sealSecret(this.env.ENCRYPTION_KEY, this.projectId(), id, secret) : null;
    await registerTrigger(this.env, id, this.projectId());
    const template = triggerTemplateSchema.parse(input.template);
    this.storage.sql.exec(
      `INSERT INTO triggers (id, name, kind, schedule, template, enabled, created_by, runs_as, created_at, updated_at, secret_iv, secret_ciphertext, schedule_id, last_due_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)`,
      id,
      input.name,
      input.kind,
      schedule,
      JSON.stringify(template),
      input.enabled ? 1 : 0,
      userId,
      userId,
      now,
      now,
      sealed?.iv ?? null,
      sealed?.ciphertext ?? null,
    );
    await this.syncSchedule(id);
    return { trigger: this.get(id)!, secret };
  }

  /** Trigger `id` of this project, or null. A row that no longer parses is null (and logged). */
  get(id: string): TriggerRecord | null {
    const row = this.storage.sql.exec<TriggerRow>(`SELECT * FROM triggers WHERE id = ?`, id).toArray()[0];
    return row ? this.toRecord(row) : null;
  }

  /** Every trigger of the project, oldest first; unreadable rows skipped. */
  list(): TriggerRecord[] {
    return this.storage.sql
      .exec<TriggerRow>(`SELECT * FROM triggers ORDER BY created_at, id`)
      .toArray()
      .map((row) => this.toRecord(row))
      .filter((t): t is TriggerRecord => t !== null);
  }

  /**
   * Applies `patch` by `userId`; a changed template makes the trigger run as `userId` from now on
   * (no one makes work run at another's cost). The SDK schedule is replaced when the schedule or
   * `enabled` changes. Returns the trigger after it, or null when there is no such trigger.
   * @throws TriggerInputError for a schedule the cron library refuses, or a schedule on a webhook trigger.
   */
  async update(id: string, patch: TriggerPatch, userId: string): Promise<TriggerRecord | null> {
    const current = this.get(id);
    if (!current) return null;
    const schedule = patch.schedule === undefined ? current.schedule : checkedSchedule(current.kind, patch.schedule);
    const template = patch.template === undefined ? current.template : triggerTemplateSchema.parse(patch.template);
    const runsAs = patch.template === undefined ? current.runsAs : userId;
    const enabled = patch.enabled ?? current.enabled;
    this.storage.sql.exec(
      `UPDATE triggers SET name = ?, schedule = ?, template = ?, enabled = ?, runs_as = ?, updated_at = ? WHERE id = ?`,
      patch.name ?? current.name,
      schedule,
      JSON.stringify(template),
      enabled ? 1 : 0,
      runsAs,
      new Date().toISOString(),
      id,
    );
    if (schedule !== current.schedule || enabled !== current.enabled) await this.syncSchedule(id);
    return this.get(id);
  }

  /** Deletes trigger `id`: its SDK schedule cancelled, its runs and delivery ids and its D1 index row removed. Returns whether it existed. */
  async delete(id: string): Promise<boolean> {
    const current = this.get(id);
    if (!current) return false;
    if (current.scheduleId) await this.clock.cancel(current.scheduleId);
    this.storage.transactionSync(() => {
      this.storage.sql.exec(`DELETE FROM triggers WHERE id = ?`, id);
      deleteRuns(this.storage.sql, id);
    });
    await unregisterTrigger(this.env, id);
    return true;
  }

  /**
   * A new secret for webhook trigger `id` (the old one stops working at once). Returns it (shown
   * this once), or null when there is no such webhook trigger.
   * @throws EncryptionUnavailableError when it cannot be sealed.
   */
  async rotateSecret(id: string): Promise<string | null> {
    const current = this.get(id);
    if (!current || current.kind !== "webhook") return null;
    const secret = newWebhookSecret();
    const sealed = await sealSecret(this.env.ENCRYPTION_KEY, this.projectId(), id, secret);
    this.storage.sql.exec(`UPDATE triggers SET secret_iv = ?, secret_ciphertext = ?, updated_at = ? WHERE id = ?`, sealed.iv, sealed.ciphertext, new Date().toISOString(), id);
    return secret;
  }

  /** The secret of webhook trigger `trigger`, decrypted for one check. @throws EncryptionUnavailableError when it does not open. */
  async secretOf(trigger: TriggerRecord): Promise<string | null> {
    return trigger.sealed ? openSecret(this.env.ENCRYPTION_KEY, this.projectId(), trigger.id, trigger.sealed) : null;
  }

  /** `trigger` as the API shows it: no secret, with its hook path, next due time and latest run. */
  view(trigger: TriggerRecord): TriggerView {
    let nextDueAt: string | null = null;
    if (trigger.kind === "cron" && trigger.enabled && trigger.schedule) {
      try {
        nextDueAt = new Date(nextDueMs(trigger.schedule, Date.now())).toISOString();
      } catch {
        nextDueAt = null;
      }
    }
    return {
      id: trigger.id,
      projectId: trigger.projectId,
      name: trigger.name,
      kind: trigger.kind,
      schedule: trigger.schedule,
      template: trigger.template,
      enabled: trigger.enabled,
      createdBy: trigger.createdBy,
      runsAs: trigger.runsAs,
      createdAt: trigger.createdAt,
      updatedAt: trigger.updatedAt,
      hookPath: trigger.kind === "webhook" ? hookPath(trigger.id) : null,
      nextDueAt,
      lastRun: listRuns(this.storage.sql, trigger.id, 1)[0] ?? null,
    };
  }

  /**
   * Makes trigger `id`'s SDK schedule match its row: the old schedule (if any) cancelled, and a
   * new one made for an enabled cron trigger; its id stored. Idempotent.
   */
  async syncSchedule(id: string): Promise<void> {
    const trigger = this.get(id);
    if (!trigger) return;
    if (trigger.scheduleId) await this.clock.cancel(trigger.scheduleId);
    const scheduleId = trigger.kind === "cron" && trigger.enabled && trigger.schedule ? await this.clock.schedule(trigger.schedule, id) : null;
    this.storage.sql.exec(`UPDATE triggers SET schedule_id = ? WHERE id = ?`, scheduleId, id);
  }

  private toRecord(row: TriggerRow): TriggerRecord | null {
    let template: TriggerTemplate;
    try {
      template = triggerTemplateSchema.parse(JSON.parse(row.template));
    } catch {
      console.error(`trigger ${row.id}: skipped a row whose template no longer parses`);
      return null;
    }
    if (row.kind !== "cron" && row.kind !== "webhook") return null;
    return {
      id: row.id,
      projectId: this.projectId(),
      name: row.name,
      kind: row.kind,
      schedule: row.schedule,
      template,
      enabled: row.enabled === 1,
      createdBy: row.created_by,
      runsAs: row.runs_as,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      sealed: row.secret_iv && row.secret_ciphertext ? { iv: row.secret_iv, ciphertext: row.secret_ciphertext } : null,
      scheduleId: row.schedule_id,
      lastDueMs: row.last_due_ms,
    };
  }
}

/**
 * The answer of a change of triggers over RPC (a thrown error loses its class on the way): the
 * value, or why it was refused — bad input the schemas could not see (`invalid_input`, 400) or
 * no usable ENCRYPTION_KEY for a webhook secret (`encryption_unavailable`, 503).
 */
export type TriggerChange<T> = { ok: true; value: T } | { ok: false; code: "invalid_input" | "encryption_unavailable"; message: string };

/** Runs `change`, answering TriggerInputError, a ZodError and EncryptionUnavailableError as a refusal; other errors are thrown. */
export async function triggerChange<T>(change: () => Promise<T>): Promise<TriggerChange<T>> {
  try {
    return { ok: true, value: await change() };
  } catch (error) {
    if (error instanceof TriggerInputError) return { ok: false, code: "invalid_input", message: error.message };
    if (error instanceof z.ZodError) return { ok: false, code: "invalid_input", message: z.prettifyError(error) };
    if (error instanceof EncryptionUnavailableError) return { ok: false, code: "encryption_unavailable", message: error.message };
    throw error;
  }
}

/** A trigger's schedule after checking it against its kind: a cron trigger's normalized expression, null for a webhook. @throws TriggerInputError. */
function checkedSchedule(kind: TriggerKind, schedule: string | null): string | null {
  if (kind === "webhook") {
    if (schedule) throw new TriggerInputError("schedule: a webhook trigger has no schedule: it fires when its URL is called");
    return null;
  }
  if (!schedule) throw new TriggerInputError('schedule: a cron trigger needs a schedule, a 5-field cron expression in UTC such as "0 8 * * 1-5"');
  const problem = cronProblem(schedule);
  if (problem) throw new TriggerInputError(`schedule: ${problem}`);
  return normalizeCron(schedule);
}
