/**
 * Starting tasks and missions: the one path the API routes and the tech lead share, so a
 * mission created in the chat is the same as one created with `POST .../missions`.
 */
import { getAgentByName } from "agents";
import { newId } from "../ids.ts";
import { registerMission, registerTask } from "../indexes.ts";
import { startMinimums } from "../models/budget-rules.ts";
import { parseModelId } from "../models/catalog.ts";
import { ModelUnavailableError, resolveModel } from "../models/registry.ts";
import { userAgentStub } from "../models/user-actor.ts";
import type { MissionRequest } from "../shared/mission-plan.ts";
import type { ProjectSettings } from "../shared/project-settings.ts";
import type { MissionView, TaskView } from "../shared/protocol.ts";
import type { TaskSpec } from "../shared/task-spec.ts";

/** Who starts something, in which project. */
export interface LaunchContext {
  env: Env;
  projectId: string;
  userId: string;
}

/**
 * A request that cannot start, with a message for the caller: the model cannot run here (400
 * `model_unavailable`), the payer mode cannot pay (400 `credential_missing` or
 * `payer_mode_conflict`), or the remaining budget is below the minimum to start (429
 * `budget_exceeded`), as the user's actor decides (`UserAgent.admitStart`).
 */
export class LaunchRefusedError extends Error {
  readonly status: 400 | 429;
  readonly code: "model_unavailable" | "budget_exceeded" | "credential_missing" | "payer_mode_conflict" | "invalid_input";
  constructor(message: string, status: 400 | 429 = 400, code: LaunchRefusedError["code"] = "model_unavailable") {
    super(message);
    this.name = "LaunchRefusedError";
    this.status = status;
    this.code = code;
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
 * Throws LaunchRefusedError 400 `invalid_input` when `what` asks for `repo` but the project names
 * no repository (issue 16: set one with `PATCH /api/projects/:projectId {repository}`).
 */
async function checkRepository(ctx: LaunchContext, what: string): Promise<void> {
  const project = await getAgentByName(ctx.env.ProjectAgent, ctx.projectId);
  if (await project.getRepository()) return;
  throw new LaunchRefusedError(
    `${what} asks for repo, but the project names no repository: an owner sets one with PATCH /api/projects/${ctx.projectId} {"repository": {"url", "defaultBranch"}}`,
    400,
    "invalid_input",
  );
}

/**
 * Throws LaunchRefusedError 400 `invalid_input` when `what` asks for `runtime: "vm"` but the
 * project's policy does not allow VMs (`limits.vm.allowed` false, the default; issue 16): the
 * start is refused before anything is created rather than failing once started.
 */
async function checkVmRuntime(ctx: LaunchContext, what: string): Promise<void> {
  const project = await getAgentByName(ctx.env.ProjectAgent, ctx.projectId);
  const settings = (await project.getSettings()) as ProjectSettings;
  if (settings.limits.vm.allowed) return;
  throw new LaunchRefusedError(
    `${what} asks for runtime "vm", but this project does not allow VMs (limits.vm.allowed is false): a project member who may write allows them with PATCH /api/projects/${ctx.projectId} {"limits": {"vm": {"allowed": true}}}`,
    400,
    "invalid_input",
  );
}

/**
 * Refuses a start the user cannot pay for, before anything is created (users are warned
 * before they start, not after): asks the user's actor whether the payer mode can pay for
 * `modelId` and whether the budgets have the minimums to start left (SAM_MIN_START_USD,
 * SAM_MIN_START_TOKENS; budget-rules.ts). Returns the USD budget it gets: `budgetUsd` (null:
 * none), or when absent the project's default task budget (or none).
 * @throws LaunchRefusedError 429 `budget_exceeded`, or 400 `credential_missing` / `payer_mode_conflict`.
 */
async function budgetForStart(ctx: LaunchContext, modelId: string, budgetUsd: number | null | undefined): Promise<number | null> {
  const provider = parseModelId(modelId)?.provider ?? "scripted";
  const user = await userAgentStub(ctx.env, ctx.userId);
  const start = await user.admitStart({ provider, projectId: ctx.projectId, budgetUsd, ...startMinimums(ctx.env) });
  if (!start.ok) throw new LaunchRefusedError(start.message, start.code === "budget_exceeded" ? 429 : 400, start.code);
  return budgetUsd === undefined ? start.defaultTaskBudgetUsd : budgetUsd;
}

/**
 * Starts a top-level task: checks its model and budgets, indexes it in D1, then starts its
 * actor. Returns its view. @throws LaunchRefusedError when it may not start.
 */
export async function launchTask(
  ctx: LaunchContext,
  request: Omit<TaskSpec, "id" | "projectId" | "userId" | "missionId" | "parentTaskId" | "depth">,
): Promise<TaskView> {
  const model = request.model ?? "scripted";
  checkModel(ctx, model, request.script, "model unavailable");
  if (request.repo) await checkRepository(ctx, "the task");
  if (request.runtime === "vm") await checkVmRuntime(ctx, "the task");
  const budgetUsd = await budgetForStart(ctx, model, request.budgetUsd);
  const id = newId("task");
  await registerTask(ctx.env, id, ctx.projectId);
  const task = await getAgentByName(ctx.env.TaskAgent, id);
  return task.start({ ...request, budgetUsd, id, projectId: ctx.projectId, userId: ctx.userId });
}

/**
 * Creates a mission from a validated plan and starts it, after checking every task's model and
 * the budgets (the mission's own budget defaults from the project). Returns its view.
 * @throws LaunchRefusedError when it may not start.
 */
export async function launchMission(ctx: LaunchContext, request: MissionRequest): Promise<MissionView> {
  for (const task of request.tasks) checkModel(ctx, task.model, task.script, `task "${task.key}"`);
  const withRepo = request.tasks.find((t) => t.repo);
  if (withRepo) await checkRepository(ctx, `task "${withRepo.key}"`);
  const onVm = request.tasks.find((t) => t.runtime === "vm");
  if (onVm) await checkVmRuntime(ctx, `task "${onVm.key}"`);
  let budgetUsd: number | null = null;
  for (const model of new Set(request.tasks.map((t) => t.model))) budgetUsd = await budgetForStart(ctx, model, request.budgetUsd);
  const id = newId("mission");
  await registerMission(ctx.env, id, ctx.projectId);
  const mission = await getAgentByName(ctx.env.MissionAgent, id);
  return mission.create({ ...request, budgetUsd, id, projectId: ctx.projectId, userId: ctx.userId });
}
