/**
 * Trigger routes (issue 15, "Triggers"): make, list, read, change and delete a project's cron and
 * webhook triggers, rotate a webhook trigger's secret, and list a trigger's runs. Owners and
 * members change them; viewers read them and their runs. A webhook trigger's secret is in the
 * 201 of its creation (and of a rotation) only. The calls of webhook triggers are hooks.ts.
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import { cronProblem } from "../../actors/project/trigger-rules.ts";
import type { TriggerChange } from "../../actors/project/triggers.ts";
import { triggerCreateSchema, triggerIdSchema, triggerPatchSchema, type TriggerTemplate, type TriggerView } from "../../shared/trigger.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { projectParam } from "../guards.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";

/** Routes under /api/projects/:projectId/triggers. */
export const triggerRoutes = new Hono<AuthedEnv>();

/** A trigger as answered: its view and, for a webhook trigger, its full URL on this origin (`url`; null for cron). */
function withUrl(c: Context<AuthedEnv>, view: TriggerView): TriggerView & { url: string | null } {
  return { ...view, url: view.hookPath ? new URL(view.hookPath, c.req.url).toString() : null };
}

/** A 400 for what the schemas cannot see: a schedule the cron library refuses, a mission template's session of another project. Null when fine. */
async function extraProblem(c: Context<AuthedEnv>, projectId: string, schedule: string | null | undefined, template: TriggerTemplate | undefined): Promise<Response | null> {
  const problem = schedule ? cronProblem(schedule) : null;
  if (problem) return apiError(c, 400, "invalid_input", `schedule: ${problem}`);
  const sessionId = template?.mission?.sessionId;
  if (sessionId) {
    const actor = await getAgentByName(c.env.ProjectAgent, projectId);
    if (!(await actor.hasSession(sessionId))) return apiError(c, 400, "invalid_input", "template.mission.sessionId: no such session in this project");
  }
  return null;
}

/** Resolves `:projectId` (with `need`) and `:triggerId`: the ids and the project's actor, or the response to send. */
async function triggerParam(c: Context<AuthedEnv>, need: "read" | "write" = "read") {
  const project = await projectParam(c, need);
  if (!project.ok) return project;
  const id = parseValue(c, triggerIdSchema, c.req.param("triggerId"));
  if (!id.ok) return id;
  return { ok: true as const, projectId: project.projectId, triggerId: id.value, actor: await getAgentByName(c.env.ProjectAgent, project.projectId) };
}

const noSuchTrigger = (c: Context<AuthedEnv>) => apiError(c, 404, "not_found", "no such trigger");

triggerRoutes.post("/api/projects/:projectId/triggers", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, triggerCreateSchema);
  if (!body.ok) return body.response;
  const problem = await extraProblem(c, project.projectId, body.value.schedule, body.value.template);
  if (problem) return problem;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  // Casts: the RPC stub's types cannot carry a template's `unknown` tool inputs (the shapes are the actor's own).
  const made = (await actor.createTrigger(body.value, c.get("user").id)) as TriggerChange<{ trigger: TriggerView; secret: string | null }>;
  if (!made.ok) return apiError(c, made.code === "invalid_input" ? 400 : 503, made.code, made.message);
  const answer = withUrl(c, made.value.trigger);
  return c.json(made.value.secret === null ? answer : { ...answer, secret: made.value.secret }, 201);
});

triggerRoutes.get("/api/projects/:projectId/triggers", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ triggers: ((await actor.listTriggers()) as TriggerView[]).map((t) => withUrl(c, t)) });
});

triggerRoutes.get("/api/projects/:projectId/triggers/:triggerId", requireUser, async (c) => {
  const found = await triggerParam(c);
  if (!found.ok) return found.response;
  const view = (await found.actor.getTrigger(found.triggerId)) as TriggerView | null;
  return view ? c.json(withUrl(c, view)) : noSuchTrigger(c);
});

triggerRoutes.patch("/api/projects/:projectId/triggers/:triggerId", requireUser, async (c) => {
  const found = await triggerParam(c, "write");
  if (!found.ok) return found.response;
  const body = await parseJsonBody(c, triggerPatchSchema);
  if (!body.ok) return body.response;
  const problem = await extraProblem(c, found.projectId, body.value.schedule, body.value.template);
  if (problem) return problem;
  const changed = (await found.actor.updateTrigger(found.triggerId, body.value, c.get("user").id)) as TriggerChange<TriggerView | null>;
  if (!changed.ok) return apiError(c, changed.code === "invalid_input" ? 400 : 503, changed.code, changed.message);
  return changed.value ? c.json(withUrl(c, changed.value)) : noSuchTrigger(c);
});

triggerRoutes.delete("/api/projects/:projectId/triggers/:triggerId", requireUser, async (c) => {
  const found = await triggerParam(c, "write");
  if (!found.ok) return found.response;
  return (await found.actor.deleteTrigger(found.triggerId)) ? c.body(null, 204) : noSuchTrigger(c);
});

triggerRoutes.post("/api/projects/:projectId/triggers/:triggerId/secret", requireUser, async (c) => {
  const found = await triggerParam(c, "write");
  if (!found.ok) return found.response;
  const rotated = await found.actor.rotateTriggerSecret(found.triggerId);
  if (!rotated.ok) return apiError(c, rotated.code === "invalid_input" ? 400 : 503, rotated.code, rotated.message);
  return rotated.value ? c.json({ secret: rotated.value }) : apiError(c, 404, "not_found", "no such webhook trigger");
});

triggerRoutes.get("/api/projects/:projectId/triggers/:triggerId/runs", requireUser, async (c) => {
  const found = await triggerParam(c);
  if (!found.ok) return found.response;
  const runs = await found.actor.listTriggerRuns(found.triggerId);
  return runs ? c.json({ runs }) : noSuchTrigger(c);
});
