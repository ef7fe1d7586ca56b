/**
 * The device flow for the CLI (RFC 8628, issue 13): `POST /api/auth/device/code` and
 * `/device/token` speak OAuth (JSON or form bodies; errors are `{"error": "<code>"}` with 400 as
 * RFC 8628 §3.5 says); a signed-in person looks at a code (`GET /api/auth/device`), approves or
 * denies it. Wrong user codes count as failures of the person, so guessing is rate-limited.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";
import {
  createDeviceAuthorization,
  decide,
  DEVICE_CLIENTS,
  findByDeviceCode,
  findByUserCode,
  isExpired,
  normalizeUserCode,
  poll,
} from "../people/device-codes.ts";
import { clientAddress, MAX_FAILURES_PER_MINUTE, recordFailure, retryAfterSeconds, throttled } from "../people/throttle.ts";
import { createPersonalToken } from "../people/tokens.ts";

/** The grant type of RFC 8628 §3.4. */
export const DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";

const codeRequestSchema = z.object({ client_id: z.string().min(1).max(100) });
const tokenRequestSchema = z.object({ grant_type: z.string().min(1).max(200), device_code: z.string().min(1).max(200), client_id: z.string().min(1).max(100) });
const userCodeSchema = z.object({ user_code: z.string().min(1).max(32) });

/** An OAuth error answer (RFC 6749 §5.2 / RFC 8628 §3.5): `{"error": code, "error_description"?}`, 400. */
function oauthError(c: Context, error: string, description?: string): Response {
  return c.json(description ? { error, error_description: description } : { error }, 400);
}

/** The body of an OAuth request: JSON or `application/x-www-form-urlencoded`; null when neither parses. */
async function oauthBody(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  try {
    if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) return { ...(await c.req.parseBody()) };
    return await c.req.json();
  } catch {
    return null;
  }
}

/** Routes under /api/auth/device. */
export const deviceRoutes = new Hono<AuthedEnv>();

/** Code pairs one client address may ask for per minute (each is a row until it expires). */
const MAX_CODES_PER_MINUTE = MAX_FAILURES_PER_MINUTE;

deviceRoutes.post("/api/auth/device/code", async (c) => {
  // Counted like failures, so one address cannot fill the table.
  const key = `device-code:${clientAddress(c.req.raw)}`;
  if (await throttled(c.env, key)) {
    c.header("Retry-After", String(retryAfterSeconds(Date.now())));
    return c.json({ error: "slow_down", error_description: `at most ${MAX_CODES_PER_MINUTE} codes a minute from one address` }, 429);
  }
  await recordFailure(c.env, key);
  const body = codeRequestSchema.safeParse(await oauthBody(c));
  if (!body.success) return oauthError(c, "invalid_request", "client_id is required");
  if (!(DEVICE_CLIENTS as readonly string[]).includes(body.data.client_id)) return oauthError(c, "invalid_client", `unknown client ${body.data.client_id}`);
  return c.json(await createDeviceAuthorization(c.env, body.data.client_id, new URL(c.req.url).origin));
});

deviceRoutes.post("/api/auth/device/token", async (c) => {
  const body = tokenRequestSchema.safeParse(await oauthBody(c));
  if (!body.success) return oauthError(c, "invalid_request", "grant_type, device_code and client_id are required");
  if (body.data.grant_type !== DEVICE_GRANT_TYPE) return oauthError(c, "unsupported_grant_type");
  const row = await findByDeviceCode(c.env, body.data.device_code);
  if (!row) return oauthError(c, "invalid_grant", "unknown device code");
  if (row.clientId !== body.data.client_id) return oauthError(c, "invalid_client", "the device code belongs to another client");
  const result = await poll(c.env, row);
  if (result.outcome !== "approved") return oauthError(c, result.outcome);
  const token = await createPersonalToken(c.env, result.userId, `${row.clientId} (device login ${row.userCode})`);
  return c.json({ access_token: token.token, token_type: "Bearer" });
});

/**
 * Resolves the `user_code` a signed-in person gives: 429 while they are rate-limited, 400 when
 * it cannot be a code, 404 (counted as a failure) when no live pair has it.
 */
async function userCodeParam(c: Context<AuthedEnv>, input: unknown) {
  const key = `user-code:${c.get("user").id}`;
  if (await throttled(c.env, key)) {
    c.header("Retry-After", String(retryAfterSeconds(Date.now())));
    return { ok: false as const, response: apiError(c, 429, "rate_limited", "too many wrong codes; wait a minute") };
  }
  const parsed = parseValue(c, userCodeSchema, input);
  if (!parsed.ok) return parsed;
  const userCode = normalizeUserCode(parsed.value.user_code);
  const row = userCode ? await findByUserCode(c.env, userCode) : null;
  if (!row || isExpired(row)) {
    await recordFailure(c.env, key);
    return { ok: false as const, response: apiError(c, 404, "not_found", "no such code, or it has expired") };
  }
  return { ok: true as const, row };
}

deviceRoutes.get("/api/auth/device", requireUser, async (c) => {
  const code = await userCodeParam(c, { user_code: c.req.query("user_code") ?? "" });
  if (!code.ok) return code.response;
  const { row } = code;
  return c.json({ userCode: row.userCode, clientId: row.clientId, status: row.status, expiresAt: row.expiresAt });
});

for (const decision of ["approve", "deny"] as const) {
  deviceRoutes.post(`/api/auth/device/${decision}`, requireUser, async (c) => {
    const body = await parseJsonBody(c, z.unknown());
    if (!body.ok) return body.response;
    const code = await userCodeParam(c, body.value);
    if (!code.ok) return code.response;
    const status = decision === "approve" ? "approved" : "denied";
    if (!(await decide(c.env, code.row.userCode, status, c.get("user").id))) {
      return apiError(c, 409, "conflict", `the code was already ${code.row.status === "pending" ? "decided" : code.row.status}`);
    }
    return c.json({ userCode: code.row.userCode, clientId: code.row.clientId, status });
  });
}
