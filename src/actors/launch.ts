/**
 * Starting tasks and missions: the one path the API routes and the tech lead share, so a
 * mission created in the chat is the same as one created with `POST .../missions`.
 */
import { getAgentByName } from "agents";
import type { Env } from "../env.ts";
import { newId } from "../ids.ts";
import { registerMission, registerTask } from "../indexes.ts";
import { ModelUnavailableError, resolveModel } from "../models/registry.ts";
import type { MissionRequest } from "./mission-agent.ts";
import type { MissionView, TaskView } from "./protocol.ts";
import type { TaskSpec } from "./task-agent.ts";

/** Who starts something, in which project. */
export interface LaunchContext {
  env: Env;
  projectId: string;
  userId: string;
}

/** A request that cannot start, with a message for the caller (a 400 on the API). */
export class LaunchRefusedError extends Error {
  readonly code = "invalid_input";
  constructor(message: string) {
    super(message);
    this.name = "LaunchRefusedError";
  }
}

/** Throws LaunchRefusedError when `model` cannot run here (unknown, unconfigured, scripted without a script). */
function checkModel(ctx: LaunchContext, model: string, script: TaskSpec["script"], what: string): void {
  try {
    resolveModel(model, ctx.env, { userId: ctx.userId, projectId: ctx.projectId }, script);
  } catch (error) {
    if (error instanceof ModelUnavailableError) throw new LaunchRefusedError(`${what}: ${error.message}`);
    throw error;
  }
}

/**
 * Starts a top-level task: indexes it in D1, then starts its actor. Returns its view.
 * @throws LaunchRefusedError when its model cannot run here.
 */
export async function launchTask(
  ctx: LaunchContext,
  request: Omit<TaskSpec, "id" | "projectId" | "userId" | "missionId" | "parentTaskId" | "depth">,
): Promise<TaskView> {
  checkModel(ctx, request.model ?? "scripted", request.script, "model unavailable");
  const id = newId("task");
  await registerTask(ctx.env, id, ctx.projectId);
  const task = await getAgentByName(ctx.env.TaskAgent, id);
  return task.start({ ...request, id, projectId: ctx.projectId, userId: ctx.userId });
}

/**
 * Creates a mission from a validated plan and starts it. Returns its view.
 * @throws LaunchRefusedError when a task's model cannot run here.
 */
export async function launchMission(ctx: LaunchContext, request: MissionRequest): Promise<MissionView> {
  for (const task of request.tasks) checkModel(ctx, task.model, task.script, `task "${task.key}"`);
  const id = newId("mission");
  await registerMission(ctx.env, id, ctx.projectId);
  const mission = await getAgentByName(ctx.env.MissionAgent, id);
  return mission.create({ ...request, id, projectId: ctx.projectId, userId: ctx.userId });
}
