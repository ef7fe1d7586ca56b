/**
 * Personal access tokens (issue 13): make one (its secret shown only in this answer), list them
 * (never a secret), revoke one (refused from the next request on; its open sockets close).
 */
import { Hono } from "hono";
import { z } from "zod";
import { tokenIdSchema } from "../../ids.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";
import { closeSockets } from "../people/sockets.ts";
import { secretDigest } from "../people/secrets.ts";
import { deleteSignInsOfToken } from "../people/sign-ins.ts";
import { createPersonalToken, deletePersonalToken, listPersonalTokens } from "../people/tokens.ts";

/** `POST /api/tokens`: a name, and optionally a lifetime in days (1 to 3,650; absent: no expiry). */
export const createTokenSchema = z.object({
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

/** Routes under /api/tokens. */
export const tokenRoutes = new Hono<AuthedEnv>();

tokenRoutes.post("/api/tokens", requireUser, async (c) => {
  const body = await parseJsonBody(c, createTokenSchema);
  if (!body.ok) return body.response;
  const { lastUsedAt: _unused, ...made } = await createPersonalToken(c.env, c.get("user").id, body.value.name, body.value.expiresInDays);
  return c.json(made, 201);
});

tokenRoutes.get("/api/tokens", requireUser, async (c) => c.json({ tokens: await listPersonalTokens(c.env, c.get("user").id) }));

tokenRoutes.delete("/api/tokens/:tokenId", requireUser, async (c) => {
  const tokenId = parseValue(c, tokenIdSchema, c.req.param("tokenId"));
  if (!tokenId.ok) return tokenId.response;
  const user = c.get("user");
  if (await isPinnedDevToken(c.env, user.id, tokenId.value)) {
    return apiError(c, 409, "conflict", "this is the local dev token that npm start pins (SAM_DEV_TOKEN or .sam/local-token); it would come back on the next request. Replace it there and restart");
  }
  if (!(await deletePersonalToken(c.env, user.id, tokenId.value))) return apiError(c, 404, "not_found", "no such token");
  const signIns = await deleteSignInsOfToken(c.env, tokenId.value);
  await Promise.all([tokenId.value, ...signIns].map((id) => closeSockets(c.env, user.id, { tokenId: id }, "token revoked")));
  return c.body(null, 204);
});

/** Whether `tokenId` is local mode's dev token (`SAM_DEV_TOKEN`), which the next request would bring back. */
async function isPinnedDevToken(env: Env, userId: string, tokenId: string): Promise<boolean> {
  if (env.SAM_MODE !== "local" || !env.SAM_DEV_TOKEN) return false;
  const row = await env.DB.prepare(`SELECT token_hash AS hash FROM api_tokens WHERE id = ? AND user_id = ?`).bind(tokenId, userId).first<{ hash: string }>();
  return row !== null && row.hash === (await secretDigest(env, env.SAM_DEV_TOKEN));
}
