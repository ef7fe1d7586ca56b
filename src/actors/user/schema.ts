/**
 * The tables of a user's actor (SQLite in its Durable Object). Created if missing on every
 * start; changes are additive only (a new table or column), so the data of existing actors
 * keeps working.
 *
 * - `profile`: the user (one row); `tokens`: metadata of their access tokens (never the tokens).
 * - `model_settings`: one row (id 1): payer mode and the limits (daily tokens, monthly USD).
 * - `project_settings`: per project, the payer-mode override and the default task budget (USD).
 * - `credentials`: provider keys, AES-GCM encrypted (iv, ciphertext), with their last four characters.
 * - `usage`: the ledger, one row per call (id = the reservation id), indexed by start time; a
 *   speech call also has its unit and quantity (seconds of audio, characters).
 * - `counters`: settled usage per period (`day:YYYY-MM-DD`, `month:YYYY-MM`, UTC).
 * - `scope_spend`: settled USD per task (`task:<id>`) and mission (`mission:<id>`).
 * - `notifications`: what the user hears about (notification-store.ts), newest by `seq`, at most
 *   MAX_STORED_NOTIFICATIONS; `dedupe_key` unique (a producer's repeat stores nothing).
 * - `notification_settings`: one row (id 1): the kinds each channel wants (JSON arrays), the webhook URL,
 *   and the origin the webhook's absolute links start with (SAM's, as the settings were saved through).
 * - `push_subscriptions`: the user's browsers (`psub_...`), endpoint unique, with their keys as the browser gave them.
 * - `deliveries`: one per notification and channel target (notification-delivery.ts): attempts,
 *   status `pending`/`sent`/`dropped`, the last error, when the next attempt is due (epoch ms).
 */
import { ensureColumns } from "../sql.ts";

/** Creates the user actor's tables and the settings row if they do not exist yet. */
export function createUserTables(sql: SqlStorage): void {
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
  // Added with voice: a speech call's unit (`audio_second`, `character`) and quantity; null for model calls.
  ensureColumns(sql, "usage", { unit: "TEXT", quantity: "REAL" });
  // Added with notifications (issue 15).
  sql.exec(`CREATE TABLE IF NOT EXISTS notifications (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
      title TEXT NOT NULL, body TEXT NOT NULL, link TEXT NOT NULL, project_id TEXT, subject_id TEXT, dedupe_key TEXT UNIQUE,
      created_at TEXT NOT NULL, read_at TEXT)`);
  sql.exec(`CREATE INDEX IF NOT EXISTS notifications_unread ON notifications(read_at)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS notification_settings (id INTEGER PRIMARY KEY CHECK (id = 1), push_kinds TEXT, webhook_url TEXT, webhook_kinds TEXT, link_origin TEXT)`);
  sql.exec(`INSERT OR IGNORE INTO notification_settings (id) VALUES (1)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS push_subscriptions (id TEXT PRIMARY KEY, endpoint TEXT NOT NULL UNIQUE, p256dh TEXT NOT NULL, auth TEXT NOT NULL,
      expiration_time INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT, notification_id TEXT NOT NULL, channel TEXT NOT NULL,
      target TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, last_error TEXT, next_at INTEGER NOT NULL,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (notification_id, channel, target))`);
  sql.exec(`CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_at)`);
}
