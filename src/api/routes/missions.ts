/**
 * Mission routes (issue 3): create and list a project's missions; read one; pause, resume and
 * cancel it. Creation is the same path as the tech lead's `create_mission` (actors/launch.ts).
 */
import { getAgentByName } from "agents";
import { Hono, type Context } from "hono";
import { launchMission, LaunchRefusedError } from "../../actors/launch.ts";
import { missionRequestSchema } from "../../shared/mission-plan.ts";
import { missionIdSchema } from "../../ids.ts";
import { missionParam, projectParam } from "../guards.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";

/** Routes under /api/projects/:projectId/missions and /api/missions. */
export const missionRoutes = new Hono<AuthedEnv>();

missionRoutes.post("/api/projects/:projectId/missions", requireUser, async (c) => {
  const project = await projectParam(c, "write");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, missionRequestSchema);
  if (!body.ok) return body.response;
  if (body.value.sessionId) {
    const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
    if (!(await actor.hasSession(body.value.sessionId))) return apiError(c, 400, "invalid_input", "sessionId: no such session in this project");
  }
  try {
    const view = await launchMission({ env: c.env, projectId: project.projectId, userId: c.get("user").id }, body.value);
    return c.json({ id: view.id, status: view.status }, 201);
  } catch (error) {
    if (error instanceof LaunchRefusedError) return apiError(c, error.status, error.code, error.message);
    throw error;
  }
});

missionRoutes.get("/api/projects/:projectId/missions", requireUser, async (c) => {
  const project = await projectParam(c);
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ missions: await actor.listMissions() });
});

missionRoutes.get("/api/missions/:missionId", requireUser, async (c) => {
  const mission = await missionParam(c);
  if (!mission.ok) return mission.response;
  const view = await mission.actor.getView();
  if (!view) return apiError(c, 404, "not_found", "no such mission");
  return c.json(view);
});

missionRoutes.post("/api/missions/:missionId/pause", requireUser, async (c) => {
  const mission = await missionParam(c, "write");
  if (!mission.ok) return mission.response;
  return c.json(await mission.actor.pause());
});

missionRoutes.post("/api/missions/:missionId/resume", requireUser, async (c) => {
  const mission = await missionParam(c, "write");
  if (!mission.ok) return mission.response;
  return c.json(await mission.actor.resume());
});

missionRoutes.post("/api/missions/:missionId/cancel", requireUser, async (c) => {
  const mission = await missionParam(c, "write");
  if (!mission.ok) return mission.response;
  return c.json(await mission.actor.cancel());
});
