/**
 * Path parameters resolved for the signed-in user, with the access the route needs: a
 * malformed id is a 400; a project, task or mission the user is not a member of is a 404; a
 * member whose role does not allow the act is a 403 `forbidden` (access.ts).
 */
import { getAgentByName } from "agents";
import type { Context } from "hono";
import { missionIdSchema, projectIdSchema, taskIdSchema } from "../ids.ts";
import { projectOfMissionFor, projectOfTaskFor, projectRole, roleAllows, type ProjectAccess, type ProjectRole } from "./access.ts";
import type { AuthedEnv } from "./auth.ts";
import { apiError, parseValue } from "./http.ts";

/** A refusal: the response to send. */
type Refused = { ok: false; response: Response };

/** The 403 for a member whose role does not allow `need`. */
function forbidden(c: Context<AuthedEnv>, role: ProjectRole, need: ProjectAccess): Refused {
  const what = need === "own" ? "only the project's owners may do this" : "viewers may only read";
  return { ok: false, response: apiError(c, 403, "forbidden", `${what} (your role: ${role})`) };
}

/** Resolves `:projectId`: the id and the caller's role, or the response to send. */
export async function projectParam(c: Context<AuthedEnv>, need: ProjectAccess = "read"): Promise<{ ok: true; projectId: string; role: ProjectRole } | Refused> {
  const parsed = parseValue(c, projectIdSchema, c.req.param("projectId"));
  if (!parsed.ok) return parsed;
  const role = await projectRole(c.env, c.get("user").id, parsed.value);
  if (!role) return { ok: false, response: apiError(c, 404, "not_found", "no such project") };
  if (!roleAllows(role, need)) return forbidden(c, role, need);
  return { ok: true, projectId: parsed.value, role };
}

/** Resolves `:taskId`: the id and its actor, or the response to send. */
export async function taskParam(c: Context<AuthedEnv>, need: ProjectAccess = "read") {
  const parsed = parseValue(c, taskIdSchema, c.req.param("taskId"));
  if (!parsed.ok) return parsed;
  const membership = await projectOfTaskFor(c.env, c.get("user").id, parsed.value);
  if (!membership) return { ok: false as const, response: apiError(c, 404, "not_found", "no such task") };
  if (!roleAllows(membership.role, need)) return forbidden(c, membership.role, need);
  return { ok: true as const, taskId: parsed.value, actor: await getAgentByName(c.env.TaskAgent, parsed.value) };
}

/** Resolves `:missionId`: its actor, or the response to send. */
export async function missionParam(c: Context<AuthedEnv>, need: ProjectAccess = "read") {
  const parsed = parseValue(c, missionIdSchema, c.req.param("missionId"));
  if (!parsed.ok) return parsed;
  const membership = await projectOfMissionFor(c.env, c.get("user").id, parsed.value);
  if (!membership) return { ok: false as const, response: apiError(c, 404, "not_found", "no such mission") };
  if (!roleAllows(membership.role, need)) return forbidden(c, membership.role, need);
  return { ok: true as const, actor: await getAgentByName(c.env.MissionAgent, parsed.value) };
}
