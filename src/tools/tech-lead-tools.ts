/**
 * The tech lead's tools (docs/api.md, "The tech lead and missions"): missions, tasks, the chat's history, knowledge, policies and
 * the project's status. Each has a zod input schema; each runs against the project it belongs
 * to (a mission or task of another project is reported as not found). Results are JSON values
 * shown to the model and, as cards, in the chat.
 */
import { getAgentByName } from "agents";
import { tool, type ToolSet } from "ai";
import { z } from "zod";
import type { KnowledgeEntry, Policy } from "../shared/knowledge.ts";
import { missionRequestSchema, type MissionRequest } from "../shared/mission-plan.ts";
import { taskStatusSchema, type ChatMessage, type MissionView, type TaskView } from "../shared/protocol.ts";
import { taskRequestSchema, type TaskSpec } from "../shared/task-spec.ts";
import { missionIdSchema, taskIdSchema } from "../ids.ts";

/** A task request as the tools start it: everything but the ids and the place in a tree, which the launcher fills in. */
export type LaunchTaskRequest = Omit<TaskSpec, "id" | "projectId" | "userId" | "missionId" | "parentTaskId" | "depth">;

/**
 * What the tools need from the project actor they run in. The tools never import an actor: the
 * project implements this (project/lead-host.ts) with its stores and actors/launch.ts.
 */
export interface TechLeadHost {
  /** The Worker's bindings (the tools reach missions and tasks through them). */
  env: Env;
  /**
   * Starts a top-level task in this project for the person the tech lead answers. Returns its view.
   * @throws ToolFailure with the launcher's message when it may not start (model, payer, budget).
   */
  launchTask(request: LaunchTaskRequest): Promise<TaskView>;
  /**
   * Creates and starts a mission in this project for the person the tech lead answers. Returns its view.
   * @throws ToolFailure with the launcher's message when it may not start (model, payer, budget).
   */
  launchMission(request: MissionRequest): Promise<MissionView>;
  /** The person the tech lead is answering (recorded on policies and messages). */
  userName: string;
  /** The session the conversation happens in (missions created here report back to it). */
  sessionId: string;
  hasTask(taskId: string): boolean;
  hasMission(missionId: string): boolean;
  listMissions(): MissionView[];
  listTasks(): TaskView[];
  searchMessages(query: string, limit: number): ChatMessage[];
  addKnowledge(title: string, text: string): KnowledgeEntry;
  searchKnowledge(query: string, limit: number): KnowledgeEntry[];
  addPolicy(text: string, createdBy: string): Policy;
  listPolicies(): Policy[];
}

/**
 * A tool's failure: its message is given to the model as the tool's error (and shown on the
 * tool's card); the turn goes on. Thrown by the tools and by a host refusing a launch.
 */
export class ToolFailure extends Error {}

const missionParam = z.object({ missionId: missionIdSchema });
const taskParam = z.object({ taskId: taskIdSchema });
const searchParam = z.object({ query: z.string().trim().min(1).max(500), limit: z.number().int().min(1).max(50).default(10) });

/** Builds the tech lead's tools (with `execute`) bound to `host`. */
export function techLeadToolSet(host: TechLeadHost): ToolSet {
  const { env } = host;
  const mission = async (missionId: string) => {
    if (!host.hasMission(missionId)) throw new ToolFailure(`no mission ${missionId} in this project`);
    return getAgentByName(env.MissionAgent, missionId);
  };
  const task = async (taskId: string) => {
    if (!host.hasTask(taskId)) throw new ToolFailure(`no task ${taskId} in this project`);
    return getAgentByName(env.TaskAgent, taskId);
  };

  return {
    create_mission: tool({
      description: "Create a mission: a goal and a plan of tasks with dependencies (by key). It starts at once.",
      inputSchema: missionRequestSchema,
      execute: async (input) => {
        const view = await host.launchMission({ ...input, sessionId: input.sessionId ?? host.sessionId });
        return { id: view.id, status: view.status, tasks: view.tasks.map((t) => t.key) };
      },
    }),
    get_mission: tool({
      description: "A mission's status, tasks (status, attempts, errors) and summary.",
      inputSchema: missionParam,
      execute: async ({ missionId }) => (await mission(missionId)).getView(),
    }),
    list_missions: tool({
      description: "The project's missions, newest first, with their status.",
      inputSchema: z.object({}),
      execute: async () => host.listMissions().map((m) => ({ id: m.id, goal: m.goal, status: m.status, costUsd: m.usage.costUsd })),
    }),
    pause_mission: tool({
      description: "Pause a mission: no new task starts; running tasks go on.",
      inputSchema: missionParam,
      execute: async ({ missionId }) => pick(await (await mission(missionId)).pause()),
    }),
    resume_mission: tool({
      description: "Resume a paused mission.",
      inputSchema: missionParam,
      execute: async ({ missionId }) => pick(await (await mission(missionId)).resume()),
    }),
    cancel_mission: tool({
      description: "Cancel a mission and its running tasks.",
      inputSchema: missionParam.extend({ reason: z.string().max(500).optional() }),
      execute: async ({ missionId, reason }) => pick(await (await mission(missionId)).cancel(reason ?? `cancelled by the tech lead for ${host.userName}`)),
    }),
    dispatch_task: tool({
      description: "Start a single task (outside any mission) with a prompt and optional model.",
      inputSchema: taskRequestSchema,
      execute: async (input) => {
        const view = await host.launchTask({ ...input, sessionId: host.sessionId });
        return { id: view.id, status: view.status };
      },
    }),
    get_task: tool({
      description: "A task's status, steps, summary, error, cost and changed files.",
      inputSchema: taskParam,
      execute: async ({ taskId }) => (await task(taskId)).getView(),
    }),
    list_tasks: tool({
      description: "The project's tasks, newest first (status and prompt).",
      inputSchema: z.object({ status: taskStatusSchema.optional() }),
      execute: async ({ status }) =>
        host
          .listTasks()
          .filter((t) => !status || t.status === status)
          .slice(0, 50)
          .map((t) => ({ id: t.id, status: t.status, prompt: t.prompt.slice(0, 200), missionId: t.missionId })),
    }),
    cancel_task: tool({
      description: "Cancel a task (and its children).",
      inputSchema: taskParam,
      execute: async ({ taskId }) => {
        const view = await (await task(taskId)).cancel(`cancelled by the tech lead for ${host.userName}`);
        return { id: view.id, status: view.status };
      },
    }),
    send_message_to_task: tool({
      description: "Send a running task a message; its model reads it before its next step.",
      inputSchema: taskParam.extend({ text: z.string().trim().min(1).max(10_000) }),
      execute: async ({ taskId, text }) => {
        const sent = await (await task(taskId)).sendMessage(text, `the tech lead (for ${host.userName})`);
        if (!sent.ok) throw new ToolFailure(sent.message);
        return { delivered: true };
      },
    }),
    retry_task: tool({
      description: "Start a failed or cancelled task again, as a new task with the same prompt and model.",
      inputSchema: taskParam,
      execute: async ({ taskId }) => {
        const actor = await task(taskId);
        const view = await actor.getView();
        const spec = (await actor.getSpec()) as TaskSpec | null;
        if (!view || !spec) throw new ToolFailure(`no task ${taskId}`);
        if (view.status !== "failed" && view.status !== "cancelled") throw new ToolFailure(`task ${taskId} is ${view.status}; only a failed or cancelled task can be retried`);
        if (view.missionId) throw new ToolFailure(`task ${taskId} belongs to mission ${view.missionId}, which retries its own tasks`);
        const retried = await host.launchTask({ prompt: spec.prompt, model: spec.model, script: spec.script, maxSteps: spec.maxSteps, sessionId: host.sessionId });
        return { id: retried.id, status: retried.status, retryOf: taskId };
      },
    }),
    search_messages: tool({
      description: "Full-text search over the project's chat messages.",
      inputSchema: searchParam,
      execute: async ({ query, limit }) =>
        host.searchMessages(query, limit).map((m) => ({ sessionId: m.sessionId, seq: m.seq, author: m.author, text: m.text.slice(0, 500), createdAt: m.createdAt })),
    }),
    add_knowledge: tool({
      description: "Remember a fact about the project (architecture, conventions, decisions).",
      inputSchema: z.object({ title: z.string().trim().min(1).max(200), text: z.string().trim().min(1).max(20_000) }),
      execute: async ({ title, text }) => host.addKnowledge(title, text),
    }),
    search_knowledge: tool({
      description: "Full-text search over the project's knowledge.",
      inputSchema: searchParam,
      execute: async ({ query, limit }) => host.searchKnowledge(query, limit),
    }),
    add_policy: tool({
      description: "Add a project policy: a rule included in every task's instructions from now on.",
      inputSchema: z.object({ text: z.string().trim().min(1).max(2000) }),
      execute: async ({ text }) => host.addPolicy(text, host.userName),
    }),
    list_policies: tool({
      description: "The project's policies.",
      inputSchema: z.object({}),
      execute: async () => host.listPolicies(),
    }),
    get_project_status: tool({
      description: "An overview: tasks and missions by status, what waits on a person, and total cost.",
      inputSchema: z.object({}),
      execute: async () => projectStatus(host.listTasks(), host.listMissions()),
    }),
  };
}

/** Counts by status, the questions waiting on people, and the tasks' total cost in USD, over the given tasks and missions. */
function projectStatus(tasks: TaskView[], missions: MissionView[]) {
  const count = (statuses: string[]) => statuses.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
  return {
    tasks: count(tasks.map((t) => t.status)),
    missions: count(missions.map((m) => m.status)),
    waitingOnPeople: tasks.filter((t) => t.question).map((t) => ({ taskId: t.id, question: t.question })),
    costUsd: tasks.reduce((sum, t) => sum + t.usage.costUsd, 0),
  };
}

function pick(view: MissionView) {
  return { id: view.id, status: view.status };
}
