/**
 * The triggers part of the HTTP API client (issue 15): a project's cron and webhook triggers
 * (`/api/projects/:id/triggers`), their runs, and a webhook trigger's secret (in the answer of its
 * creation or rotation only). Same-origin requests through `api.ts`; answers checked with zod
 * against the shapes of src/shared/trigger.ts, and a list skips rows it cannot read.
 */
import { z } from "zod";
import { triggerRunSchema, triggerViewSchema, type TriggerCreateInput, type TriggerRun, type TriggerTemplateInput, type TriggerView } from "../../shared/trigger.ts";
import { parseRows, requestJson, send } from "./api.ts";

const seg = encodeURIComponent;

/** A trigger as the API answers it: its view and, for a webhook, its full URL (`url`; null for cron). */
export type Trigger = TriggerView & { url: string | null };
const triggerSchema = triggerViewSchema.extend({ url: z.string().nullable() });
/** A trigger just made: a webhook's `secret` is shown this once. */
export type NewTrigger = Trigger & { secret?: string };
const newTriggerSchema = triggerSchema.extend({ secret: z.string().optional() });

/** `GET /api/projects/:id/triggers`. */
export async function listTriggers(projectId: string, signal?: AbortSignal): Promise<Trigger[]> {
  const body = await requestJson(`/api/projects/${seg(projectId)}/triggers`, z.object({ triggers: z.array(z.unknown()) }), { signal });
  return parseRows(body.triggers, triggerSchema, "trigger");
}

/** `POST /api/projects/:id/triggers`: rejects with ApiError 400 (what is wrong, in words) or 403 (a viewer). */
export function createTrigger(projectId: string, input: TriggerCreateInput): Promise<NewTrigger> {
  return requestJson(`/api/projects/${seg(projectId)}/triggers`, newTriggerSchema, { method: "POST", body: input });
}

/** `PATCH /api/projects/:id/triggers/:triggerId` with any of name, schedule, template, enabled. */
export function updateTrigger(projectId: string, triggerId: string, patch: { name?: string; schedule?: string | null; template?: TriggerTemplateInput; enabled?: boolean }): Promise<Trigger> {
  return requestJson(`/api/projects/${seg(projectId)}/triggers/${seg(triggerId)}`, triggerSchema, { method: "PATCH", body: patch });
}

/** `DELETE /api/projects/:id/triggers/:triggerId` (204). */
export async function deleteTrigger(projectId: string, triggerId: string): Promise<void> {
  await send(`/api/projects/${seg(projectId)}/triggers/${seg(triggerId)}`, { method: "DELETE" });
}

/** `POST /api/projects/:id/triggers/:triggerId/secret`: a webhook trigger's new secret (the old one stops working). */
export async function rotateTriggerSecret(projectId: string, triggerId: string): Promise<string> {
  return (await requestJson(`/api/projects/${seg(projectId)}/triggers/${seg(triggerId)}/secret`, z.object({ secret: z.string() }), { method: "POST" })).secret;
}

/** `GET /api/projects/:id/triggers/:triggerId/runs`: newest first. */
export async function listTriggerRuns(projectId: string, triggerId: string, signal?: AbortSignal): Promise<TriggerRun[]> {
  const body = await requestJson(`/api/projects/${seg(projectId)}/triggers/${seg(triggerId)}/runs`, z.object({ runs: z.array(z.unknown()) }), { signal });
  return parseRows(body.runs, triggerRunSchema, "trigger run");
}

/** How to sign a call of a webhook trigger with curl and openssl, for the secret's hint. */
export function signingHint(url: string): string {
  return `Sign each call: sig=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //'); curl -X POST ${url} -H "X-Hub-Signature-256: sha256=$sig" -H "X-SAM-Delivery: <unique id>" -d "$BODY"`;
}
