/**
 * Provider credentials: `POST /api/credentials` (validated by one cheap upstream call, then
 * encrypted with AES-GCM; a rejected key is not stored), `GET /api/credentials` (provider,
 * label, last four characters, created, last used; never the key), `DELETE /api/credentials/:id`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { credentialIdSchema, newId } from "../../ids.ts";
import { CREDENTIAL_PROVIDERS } from "../../models/catalog.ts";
import { lastFour, sealSecret } from "../../models/credentials.ts";
import { userAgentStub } from "../../models/user-actor.ts";
import { checkProviderKey } from "../../models/key-check.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, encryptionRefusal, parseJsonBody, parseValue } from "../http.ts";

const addCredentialSchema = z
  .object({
    provider: z.enum(CREDENTIAL_PROVIDERS),
    key: z
      .string()
      .trim()
      .min(8, "the key is too short")
      .max(512, "the key is too long")
      .regex(/^[\x21-\x7e]+$/, "the key must be printable ASCII without spaces"),
    label: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

/** Routes under /api/credentials. */
export const credentialRoutes = new Hono<AuthedEnv>();

credentialRoutes.post("/api/credentials", requireUser, async (c) => {
  const body = await parseJsonBody(c, addCredentialSchema);
  if (!body.ok) return body.response;
  const refused = await encryptionRefusal(c, c.env.ENCRYPTION_KEY);
  if (refused) return refused;
  const { provider, key } = body.value;
  const check = await checkProviderKey(c.env, provider, key);
  if (!check.ok) return check.reason === "rejected" ? apiError(c, 400, "credential_invalid", check.message) : apiError(c, 502, "upstream_unavailable", check.message);
  const user = c.get("user");
  const id = newId("credential");
  const sealed = await sealSecret(c.env.ENCRYPTION_KEY, user.id, id, key);
  const actor = await userAgentStub(c.env, user.id);
  const stored = await actor.addCredential({
    id,
    provider,
    label: body.value.label ?? `${provider} key`,
    last4: lastFour(key),
    createdAt: new Date().toISOString(),
    lastUsedAt: null,
    ...sealed,
  });
  return c.json(stored, 201);
});

credentialRoutes.get("/api/credentials", requireUser, async (c) => {
  const actor = await userAgentStub(c.env, c.get("user").id);
  return c.json({ credentials: await actor.listCredentials() });
});

credentialRoutes.delete("/api/credentials/:credentialId", requireUser, async (c) => {
  const id = parseValue(c, credentialIdSchema, c.req.param("credentialId"));
  if (!id.ok) return id.response;
  const actor = await userAgentStub(c.env, c.get("user").id);
  if (!(await actor.deleteCredential(id.value))) return apiError(c, 404, "not_found", "no such credential");
  return c.body(null, 204);
});
