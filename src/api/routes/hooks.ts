/**
 * `POST /hooks/:triggerId` (issue 15): the URL of a webhook trigger, outside /api and without a
 * SAM token — the call proves itself with `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of
 * its raw body under the trigger's secret (GitHub's scheme), checked by the project actor that
 * owns the trigger (trigger-webhook.ts). The Worker sends `/hooks/` paths here.
 *
 * Answers: 202 `{duplicate: false, run}` (the run says whether the work started, or why its start
 * was refused); 200 `{duplicate: true, run}` for a delivery id (`X-GitHub-Delivery` or
 * `X-SAM-Delivery`) seen before (nothing started); 401 `unauthorized` for a missing or wrong
 * signature and 404 `not_found` for an unknown trigger (both count as failed attempts of the
 * caller's address, src/api/people/throttle.ts; 429 `rate_limited` once it had its fill); 413
 * `payload_too_large` beyond MAX_WEBHOOK_PAYLOAD_BYTES; 409 `trigger_disabled`.
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { deliveryIdOf } from "../../actors/project/trigger-rules.ts";
import { projectOfTrigger } from "../../indexes.ts";
import { MAX_WEBHOOK_PAYLOAD_BYTES, SIGNATURE_HEADER, triggerIdSchema } from "../../shared/trigger.ts";
import { rateLimited, type AuthedEnv } from "../auth.ts";
import { clientAddress, recordFailure, throttled } from "../people/throttle.ts";

/** The `/hooks/:triggerId` route. */
export const hookRoutes = new Hono<AuthedEnv>();

/** The error body `{"error":{"code","message"}}` with codes of this route only (`payload_too_large`, `trigger_disabled`) besides the API's. */
function hookError(c: Context, status: ContentfulStatusCode, code: string, message: string, headers?: Record<string, string>): Response {
  return c.json({ error: { code, message } }, status, headers);
}

/** A failed attempt of the caller's address (unknown trigger, bad signature): `answer`, or 429 when the address already had its fill this minute. */
async function failedAttempt(c: Context<AuthedEnv>, answer: () => Response): Promise<Response> {
  const address = clientAddress(c.req.raw);
  const now = Date.now();
  if (await throttled(c.env, address, now)) {
    const limited = rateLimited(now);
    return hookError(c, 429, limited.code, limited.message, { "retry-after": String(limited.retryAfterSeconds) });
  }
  await recordFailure(c.env, address, now);
  return answer();
}

/** The request's body, or null when it is longer than `cap` bytes (read no further than that). */
async function readCapped(request: Request, cap: number): Promise<ArrayBuffer | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > cap) return null;
  if (!request.body) return new ArrayBuffer(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body.buffer;
}

const unknownTrigger = (c: Context) => () => hookError(c, 404, "not_found", "no such webhook trigger");

hookRoutes.post("/hooks/:triggerId", async (c) => {
  const id = triggerIdSchema.safeParse(c.req.param("triggerId"));
  if (!id.success) return failedAttempt(c, unknownTrigger(c));
  const projectId = await projectOfTrigger(c.env, id.data);
  if (!projectId) return failedAttempt(c, unknownTrigger(c));
  const body = await readCapped(c.req.raw, MAX_WEBHOOK_PAYLOAD_BYTES);
  if (!body) return hookError(c, 413, "payload_too_large", `the payload is larger than ${MAX_WEBHOOK_PAYLOAD_BYTES} bytes (256 KiB)`);
  const actor = await getAgentByName(c.env.ProjectAgent, projectId);
  const answer = await actor.receiveWebhook({ triggerId: id.data, body, signature: c.req.header(SIGNATURE_HEADER) ?? null, deliveryId: deliveryIdOf(c.req.raw.headers) });
  switch (answer.result) {
    case "not_found":
      return failedAttempt(c, unknownTrigger(c));
    case "bad_signature":
      return failedAttempt(c, () =>
        hookError(c, 401, "unauthorized", "a valid X-Hub-Signature-256 is required: sha256=<hex HMAC-SHA256 of the raw body under the trigger's secret>"),
      );
    case "disabled":
      return hookError(c, 409, "trigger_disabled", "this trigger is disabled; enable it to accept calls");
    case "duplicate":
      return c.json({ duplicate: true, run: answer.run }, 200);
    case "accepted":
      return c.json({ duplicate: false, run: answer.run }, 202);
  }
});
