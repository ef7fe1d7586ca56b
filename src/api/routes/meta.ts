/** Health, the signed-in user, and the model catalog. */
import { Hono } from "hono";
import { MODEL_CATALOG } from "../../models/catalog.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";

/** Version reported by /api/health when SAM_VERSION is not set. */
export const DEFAULT_VERSION = "0.1.0";

/** Routes: GET /api/health (no auth), GET /api/me, GET /api/models. */
export const metaRoutes = new Hono<AuthedEnv>();

metaRoutes.get("/api/health", (c) => c.json({ ok: true, version: c.env.SAM_VERSION ?? DEFAULT_VERSION }));

metaRoutes.get("/api/me", requireUser, (c) => c.json({ user: c.get("user") }));

metaRoutes.get("/api/models", requireUser, (c) => {
  const models = MODEL_CATALOG.map((m) => ({
    id: m.id,
    label: m.label,
    provider: m.provider,
    available:
      m.provider === "scripted" ||
      (m.provider === "workers-ai" && c.env.AI !== undefined) ||
      (m.provider === "openai" && Boolean(c.env.AI_GATEWAY_TOKEN)),
    note: m.note,
  }));
  if (c.env.SAM_COMPAT_BASE_URL) {
    models.push({ id: "compat/<name>", label: "Any model of the OpenAI-compatible server", provider: "compat", available: true, note: c.env.SAM_COMPAT_BASE_URL });
  }
  return c.json({ models });
});
