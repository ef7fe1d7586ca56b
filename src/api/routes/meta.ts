/** Health, the signed-in user, and the model catalog (with prices and the compat server's models). */
import { Hono } from "hono";
import { offeredModels } from "../../models/catalog-listing.ts";
import { requireUser, userGuard, type AuthedEnv } from "../auth.ts";

/** Version reported by /api/health when SAM_VERSION is not set. */
export const DEFAULT_VERSION = "0.1.0";

/** Routes: GET /api/health (no auth), GET /api/me, GET /api/models. */
export const metaRoutes = new Hono<AuthedEnv>();

metaRoutes.get("/api/health", (c) => c.json({ ok: true, version: c.env.SAM_VERSION ?? DEFAULT_VERSION }));

/** `GET /api/me` answers a pending or suspended account too (it is how they learn their status). */
metaRoutes.get("/api/me", userGuard({ allowInactive: true }), (c) => {
  const { tokenId: _token, via: _via, expiresAt: _expires, ...user } = c.get("user");
  return c.json({ user });
});

metaRoutes.get("/api/models", requireUser, async (c) => {
  // The whole catalog (with the compat server's models), prices in USD per million tokens.
  const models = (await offeredModels(c.env)).map((m) => ({
    id: m.id,
    label: m.label,
    provider: m.provider,
    available: m.available,
    platformOffered: m.platformOffered,
    contextWindow: m.contextWindow,
    inputPerMTokUsd: m.inputPerMTokUsd,
    outputPerMTokUsd: m.outputPerMTokUsd,
    cachedInputPerMTokUsd: m.cachedInputPerMTokUsd ?? null,
    note: m.note,
  }));
  return c.json({ models });
});
