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
  if (!(await deletePersonalToken(c.env, user.id, tokenId.value))) return apiError(c, 404, "not_found", "no such token");
  await closeSockets(c.env, user.id, { tokenId: tokenId.value }, "token revoked");
  return c.body(null, 204);
});
