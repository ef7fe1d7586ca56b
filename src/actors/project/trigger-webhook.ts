/**
 * A call of a webhook trigger (`POST /hooks/<triggerId>`, issue 15), as the project actor answers
 * it: the trigger must be a webhook trigger of this project; the call must carry the body's
 * HMAC-SHA256 under the trigger's secret (`X-Hub-Signature-256`, GitHub's scheme; checked in
 * constant time, the secret decrypted for this check only); a disabled trigger refuses it; a
 * delivery id seen before is acknowledged as a duplicate and starts nothing; otherwise the run is
 * recorded and the work started with the body, as text, in place of `{{payload}}`.
 */
import type { TriggerRun } from "../../shared/trigger.ts";
import { fireTrigger, type FireContext } from "./trigger-fire.ts";
import { signatureValid } from "./trigger-rules.ts";
import { claimDelivery } from "./trigger-runs.ts";
import type { TriggerStore } from "./triggers.ts";

/** A webhook call as the Worker hands it over: the raw body (at most MAX_WEBHOOK_PAYLOAD_BYTES), the signature header and the delivery id (or null). */
export interface WebhookCall {
  triggerId: string;
  body: ArrayBuffer;
  signature: string | null;
  deliveryId: string | null;
}

/**
 * What became of a call: `not_found` (no such webhook trigger here), `bad_signature` (missing or
 * wrong), `disabled`, `duplicate` (a repeated delivery id; its run records that), or `accepted`
 * (its run says whether the work started).
 */
export type WebhookResult =
  | { result: "not_found" | "bad_signature" | "disabled" }
  | { result: "duplicate" | "accepted"; run: TriggerRun };

/** Answers `call` (see the module). Never throws for a bad call; an undecryptable secret counts as a bad signature (and is logged). */
export async function receiveWebhook(ctx: FireContext, storage: DurableObjectStorage, triggers: TriggerStore, call: WebhookCall): Promise<WebhookResult> {
  const trigger = triggers.get(call.triggerId);
  if (!trigger || trigger.kind !== "webhook") return { result: "not_found" };
  let secret: string | null;
  try {
    secret = await triggers.secretOf(trigger);
  } catch (error) {
    console.error(`trigger ${trigger.id}: its secret could not be opened: ${error instanceof Error ? error.message : String(error)}`);
    return { result: "bad_signature" };
  }
  if (!secret || !(await signatureValid(secret, call.body, call.signature))) return { result: "bad_signature" };
  if (!trigger.enabled) return { result: "disabled" };
  const claimed = claimDelivery(storage, trigger.id, call.deliveryId);
  if (claimed.duplicate) return { result: "duplicate", run: claimed.run };
  const payload = new TextDecoder().decode(call.body);
  return { result: "accepted", run: await fireTrigger(ctx, trigger, claimed.run, payload) };
}
