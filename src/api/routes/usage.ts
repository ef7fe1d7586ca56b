/**
 * Budgets, payer mode and usage accounting:
 * `GET/PUT /api/me/budgets`, `GET/PUT /api/me/settings` (payer mode),
 * `GET/PUT /api/projects/:projectId/model-settings` (payer-mode override, default task budget),
 * `GET /api/usage?groupBy=day|model|project|task|mission&from&to`.
 */
import { Hono } from "hono";
import { z } from "zod";
import { userAgentStub } from "../../models/user-actor.ts";
import { budgetUpdateSchema, payerModeSchema, projectModelSettingsSchema, usageGroupBySchema } from "../../models/usage.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { parseJsonBody, parseValue } from "../http.ts";
import { projectParam } from "../guards.ts";

/** Days of usage shown when `from` is not given. */
const DEFAULT_USAGE_DAYS = 30;

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
/** A date (YYYY-MM-DD, UTC) or an ISO 8601 date-time. */
const instantSchema = z.string().refine((v) => !Number.isNaN(Date.parse(v)) && (dateOnly.test(v) || v.includes("T")), "expected YYYY-MM-DD or an ISO 8601 date-time");

const usageQuerySchema = z.object({
  groupBy: usageGroupBySchema.default("day"),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
});

const settingsSchema = z.object({ payerMode: payerModeSchema }).strict();

/** `from` inclusive; a date-only `to` includes that whole day, a date-time `to` is exclusive. */
function usageWindow(from: string | undefined, to: string | undefined): { from: string; to: string } {
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const start = from ? new Date(from) : new Date(today - (DEFAULT_USAGE_DAYS - 1) * 86_400_000);
  const end = to ? (dateOnly.test(to) ? new Date(Date.parse(to) + 86_400_000) : new Date(to)) : new Date(today + 86_400_000);
  return { from: start.toISOString(), to: end.toISOString() };
}

/** Routes under /api/me/budgets, /api/me/settings, /api/projects/:projectId/model-settings and /api/usage. */
export const usageRoutes = new Hono<AuthedEnv>();

usageRoutes.get("/api/me/budgets", requireUser, async (c) => {
  const actor = await userAgentStub(c.env, c.get("user").id);
  return c.json(await actor.getBudgets());
});

usageRoutes.put("/api/me/budgets", requireUser, async (c) => {
  const body = await parseJsonBody(c, budgetUpdateSchema);
  if (!body.ok) return body.response;
  const actor = await userAgentStub(c.env, c.get("user").id);
  return c.json(await actor.setLimits(body.value));
});

usageRoutes.get("/api/me/settings", requireUser, async (c) => {
  const actor = await userAgentStub(c.env, c.get("user").id);
  return c.json({ payerMode: await actor.getPayerMode() });
});

usageRoutes.put("/api/me/settings", requireUser, async (c) => {
  const body = await parseJsonBody(c, settingsSchema);
  if (!body.ok) return body.response;
  const actor = await userAgentStub(c.env, c.get("user").id);
  return c.json({ payerMode: await actor.setPayerMode(body.value.payerMode) });
});

usageRoutes.get("/api/projects/:projectId/model-settings", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await userAgentStub(c.env, c.get("user").id);
  const settings = await actor.getProjectSettings(project.projectId);
  return c.json({ ...settings, effectivePayerMode: settings.payerMode ?? (await actor.getPayerMode()) });
});

usageRoutes.put("/api/projects/:projectId/model-settings", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, projectModelSettingsSchema.partial().strict());
  if (!body.ok) return body.response;
  const actor = await userAgentStub(c.env, c.get("user").id);
  const settings = await actor.setProjectSettings(project.projectId, body.value);
  return c.json({ ...settings, effectivePayerMode: settings.payerMode ?? (await actor.getPayerMode()) });
});

usageRoutes.get("/api/usage", requireUser, async (c) => {
  const query = parseValue(c, usageQuerySchema, c.req.query());
  if (!query.ok) return query.response;
  const window = usageWindow(query.value.from, query.value.to);
  const actor = await userAgentStub(c.env, c.get("user").id);
  const result = await actor.usage(query.value.groupBy, window.from, window.to);
  return c.json({ groupBy: query.value.groupBy, ...window, ...result });
});
