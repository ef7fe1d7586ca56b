/**
 * Pure rules of triggers (no `agents` import, no storage; unit-tested in test/node/triggers.test.ts):
 * the cron expression's check and next due time (with `cron-schedule`, the parser the Agents SDK's
 * scheduler uses), whether a due time may fire, the payload put into a template's prompts, the
 * webhook signature header (GitHub's `X-Hub-Signature-256` scheme) and its check with Web Crypto,
 * and the delivery id of a call.
 */
import { parseCronExpression } from "cron-schedule";
import { DELIVERY_HEADERS, PAYLOAD_PLACEHOLDER, type TriggerTemplate } from "../../shared/trigger.ts";

/**
 * What is wrong with `schedule` as a trigger's cron expression, in words, or null when it is
 * fine: exactly 5 fields (minute hour day-of-month month day-of-week, UTC; no seconds field, no
 * `@daily` nicknames) that `cron-schedule`'s `parseCronExpression` accepts.
 */
export function cronProblem(schedule: string): string | null {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `schedule ${JSON.stringify(schedule)} has ${fields.length} field${fields.length === 1 ? "" : "s"}; a cron expression has 5: minute hour day-of-month month day-of-week (UTC), e.g. "0 8 * * 1-5"`;
  }
  try {
    parseCronExpression(fields.join(" "));
    return null;
  } catch (error) {
    return `schedule ${JSON.stringify(schedule)} is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The schedule as stored and given to the SDK: its 5 fields joined by single spaces. Call after `cronProblem` said null. */
export function normalizeCron(schedule: string): string {
  return schedule.trim().split(/\s+/).join(" ");
}

/** The first due time of `schedule` strictly after `afterMs` (epoch ms), in epoch ms. @throws Error when `schedule` does not parse. */
export function nextDueMs(schedule: string, afterMs: number): number {
  return parseCronExpression(normalizeCron(schedule)).getNextDate(new Date(afterMs)).getTime();
}

/**
 * Whether a cron firing due at `dueMs` may run, given the latest due time already recorded for
 * the trigger (`lastDueMs`, null: none). Due times only move forward, so a due time at or before
 * the last one recorded is a repeat (a retried or doubly delivered alarm, a restart) and does not
 * fire again: at most once per due time.
 */
export function dueMayFire(lastDueMs: number | null, dueMs: number): boolean {
  return Number.isFinite(dueMs) && (lastDueMs === null || dueMs > lastDueMs);
}

/** `text` with every PAYLOAD_PLACEHOLDER replaced by `payload` (taken literally: `$&` and the like are not patterns). */
export function fillPayload(text: string, payload: string): string {
  return text.split(PAYLOAD_PLACEHOLDER).join(payload);
}

/**
 * The template with `payload` put into its prompts: the task's prompt, or each mission task's
 * prompt (the goal too). Returns a new value; the result must be parsed again (a prompt may now
 * be too long).
 */
export function fillTemplate(template: TriggerTemplate, payload: string): TriggerTemplate {
  if (template.task) return { task: { ...template.task, prompt: fillPayload(template.task.prompt, payload) } };
  if (template.mission) {
    const mission = template.mission;
    return { mission: { ...mission, goal: fillPayload(mission.goal, payload), tasks: mission.tasks.map((t) => ({ ...t, prompt: fillPayload(t.prompt, payload) })) } };
  }
  return template;
}

/**
 * The signature bytes of an `X-Hub-Signature-256` header value `sha256=<64 hex digits>` (hex in
 * either case, surrounding spaces ignored), or null when it is absent or not of that form.
 */
export function parseSignatureHeader(value: string | null | undefined): Uint8Array<ArrayBuffer> | null {
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec((value ?? "").trim());
  if (!match) return null;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Number.parseInt(match[1].slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * Whether `signature` (an `X-Hub-Signature-256` header value) is the HMAC-SHA256 of `body` under
 * `secret` (its UTF-8 bytes). Checked with Web Crypto's `crypto.subtle.verify`, which compares in
 * constant time. A missing or malformed header is false.
 */
export async function signatureValid(secret: string, body: ArrayBuffer | Uint8Array<ArrayBuffer>, signature: string | null | undefined): Promise<boolean> {
  const expected = parseSignatureHeader(signature);
  if (!expected) return false;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, expected, body);
}

/** `sha256=<hex>`: the header value a sender computes for `body` under `secret` (what `openssl dgst -sha256 -hmac` prints, prefixed). */
export async function signatureFor(secret: string, body: ArrayBuffer | Uint8Array<ArrayBuffer>): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, body));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Longest delivery id SAM keeps, in characters (GitHub's are 36-character GUIDs). */
export const MAX_DELIVERY_ID_LENGTH = 200;

/**
 * A call's delivery id from its headers (`X-GitHub-Delivery`, else `X-SAM-Delivery`), trimmed and
 * cut to MAX_DELIVERY_ID_LENGTH characters; null when neither is given (or empty).
 */
export function deliveryIdOf(headers: { get(name: string): string | null }): string | null {
  for (const name of DELIVERY_HEADERS) {
    const value = headers.get(name)?.trim();
    if (value) return value.slice(0, MAX_DELIVERY_ID_LENGTH);
  }
  return null;
}

/** A new webhook secret: `sam_whsec_` and 32 random bytes as base64url (43 characters). */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return `sam_whsec_${btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}
