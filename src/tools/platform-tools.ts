/**
 * SAM's platform tools, each defined once (issue 17): its name, description, zod input schema,
 * the access it needs (`read` or `write`, the project roles of src/api/access.ts) and its
 * implementation over a `PlatformHost` (one project, one person). Two tool sets are generated
 * from these definitions:
 *
 * - the tech lead's AI SDK tools (tech-lead-tools.ts), bound to the tech lead's project;
 * - the MCP server's tools (src/api/mcp/), whose inputs add `project_id`: the server checks the
 *   caller's membership and role, then the project actor runs the definition with
 *   `runPlatformTool` (ProjectAgent.runPlatformTool).
 *
 * Results are JSON values. A tool's failure (an unknown task, a refused launch) is a
 * `ToolFailure`, which both surfaces report as the tool's error text; the caller's turn goes on.
 */
import { getAgentByName } from "agents";
import { z } from "zod";
import type { KnowledgeEntry, Policy } from "../shared/knowledge.ts";
import { missionRequestSchema, type MissionRequest } from "../shared/mission-plan.ts";
import { taskStatusSchema, type ChatMessage, type MissionView, type TaskView } from "../shared/protocol.ts";
import { taskRequestSchema, type TaskSpec } from "../shared/task-spec.ts";
import { missionIdSchema, taskIdSchema } from "../ids.ts";

/** A task request as the tools start it: everything but the ids and the place in a tree, which the launcher fills in. */
export type LaunchTaskRequest = Omit<TaskSpec, "id" | "projectId" | "userId" | "missionId" | "parentTaskId" | "depth">;

/**
 * What the platform tools need from the project they run in, for one person. The tools never
 * import an actor: the project implements this (actors/project/lead-host.ts) with its stores and
 * actors/launch.ts. Reads are synchronous there (the project's SQLite); a host may also answer
 * with promises.
 */
export interface PlatformHost {
  /** The Worker's bindings (the tools reach missions and tasks through them). */
  env: Env;
  /**
   * Starts a top-level task in this project for the person served. Returns its view.
   * @throws ToolFailure with the launcher's message when it may not start (model, payer, budget).
   */
  launchTask(request: LaunchTaskRequest): Promise<TaskView>;
  /**
   * Creates and starts a mission in this project for the person served. Returns its view.
   * @throws ToolFailure with the launcher's message when it may not start (model, payer, budget).
   */
  launchMission(request: MissionRequest): Promise<MissionView>;
  /** The person served (recorded on policies, messages and cancel reasons). */
  userName: string;
  /** Who acts for them, in words: "the tech lead", "an MCP client" (cancel reasons, a message's sender). */
  via: string;
  /** The chat session the work reports back to (questions, a mission's summary); null: the project's newest session. */
  sessionId: string | null;
  hasTask(taskId: string): boolean | Promise<boolean>;
  hasMission(missionId: string): boolean | Promise<boolean>;
  listMissions(): MissionView[] | Promise<MissionView[]>;
  listTasks(): TaskView[] | Promise<TaskView[]>;
  searchMessages(query: string, limit: number): ChatMessage[] | Promise<ChatMessage[]>;
  addKnowledge(title: string, text: string): KnowledgeEntry | Promise<KnowledgeEntry>;
  searchKnowledge(query: string, limit: number): KnowledgeEntry[] | Promise<KnowledgeEntry[]>;
  addPolicy(text: string, createdBy: string): Policy | Promise<Policy>;
  listPolicies(): Policy[] | Promise<Policy[]>;
}

/**
 * A tool's failure: its message is given to the caller as the tool's error (the model reads it;
 * the chat shows it on the tool's card; an MCP client gets `isError: true`). Thrown by the tools
 * and by a host refusing a launch.
 */
export class ToolFailure extends Error {}

/** One platform tool: what both surfaces are generated from. `S` is its input schema (an object). */
export interface PlatformTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  /** The input as the tech lead gives it; the MCP server adds `project_id`. */
  input: S;
  /** What the caller's project role must allow (src/api/access.ts `roleAllows`): viewers may only `read`. */
  access: "read" | "write";
  /** Runs the tool for `host`; returns a JSON value. @throws ToolFailure for an expected refusal. */
  run(host: PlatformHost, input: z.output<S>): Promise<unknown>;
}

/** Keeps `S` precise for `run`'s input while typing the list as PlatformTool. */
function define<S extends z.ZodObject>(tool: PlatformTool<S>): PlatformTool {
  return tool as unknown as PlatformTool;
}

const missionParam = z.object({ missionId: missionIdSchema.describe("The mission's id (msn_...)") });
const taskParam = z.object({ taskId: taskIdSchema.describe("The task's id (tsk_...)") });
const searchParam = z.object({
  query: z.string().trim().min(1).max(500).describe("Words to search for (full-text)"),
  limit: z.number().int().min(1).max(50).default(10).describe("At most this many results (1-50, default 10)"),
});

async function missionActor(host: PlatformHost, missionId: string) {
  if (!(await host.hasMission(missionId))) throw new ToolFailure(`no mission ${missionId} in this project`);
  return getAgentByName(host.env.MissionAgent, missionId);
}

async function taskActor(host: PlatformHost, taskId: string) {
  if (!(await host.hasTask(taskId))) throw new ToolFailure(`no task ${taskId} in this project`);
  return getAgentByName(host.env.TaskAgent, taskId);
}

function pick(view: MissionView) {
  return { id: view.id, status: view.status };
}

/** Every platform tool, in the order the tech lead lists them. */
export const PLATFORM_TOOLS: readonly PlatformTool[] = [
  define({
    name: "create_mission",
    description: "Create a mission: a goal and a plan of tasks with dependencies (by key). It starts at once.",
    input: missionRequestSchema,
    access: "write",
    run: async (host, input) => {
      const view = await host.launchMission({ ...input, sessionId: input.sessionId ?? host.sessionId ?? undefined });
      return { id: view.id, status: view.status, tasks: view.tasks.map((t) => t.key) };
    },
  }),
  define({
    name: "get_mission",
    description: "A mission's status, tasks (status, attempts, errors) and summary.",
    input: missionParam,
    access: "read",
    run: async (host, { missionId }) => (await missionActor(host, missionId)).getView(),
  }),
  define({
    name: "list_missions",
    description: "The project's missions, newest first, with their status.",
    input: z.object({}),
    access: "read",
    run: async (host) => (await host.listMissions()).map((m) => ({ id: m.id, goal: m.goal, status: m.status, costUsd: m.usage.costUsd })),
  }),
  define({
    name: "pause_mission",
    description: "Pause a mission: no new task starts; running tasks go on.",
    input: missionParam,
    access: "write",
    run: async (host, { missionId }) => pick(await (await missionActor(host, missionId)).pause()),
  }),
  define({
    name: "resume_mission",
    description: "Resume a paused mission.",
    input: missionParam,
    access: "write",
    run: async (host, { missionId }) => pick(await (await missionActor(host, missionId)).resume()),
  }),
  define({
    name: "cancel_mission",
    description: "Cancel a mission and its running tasks.",
    input: missionParam.extend({ reason: z.string().max(500).optional().describe("Why (shown on the mission)") }),
    access: "write",
    run: async (host, { missionId, reason }) => pick(await (await missionActor(host, missionId)).cancel(reason ?? `cancelled by ${host.via} for ${host.userName}`)),
  }),
  define({
    name: "dispatch_task",
    description:
      "Start a single task (outside any mission) with a prompt and optional model (default `scripted`, which replays `script`). Returns its id and status; follow it with get_task.",
    input: taskRequestSchema,
    access: "write",
    run: async (host, input) => {
      const view = await host.launchTask({ ...input, sessionId: host.sessionId ?? undefined });
      return { id: view.id, status: view.status };
    },
  }),
  define({
    name: "get_task",
    description: "A task's status, steps, summary, error, cost and changed files.",
    input: taskParam,
    access: "read",
    run: async (host, { taskId }) => (await taskActor(host, taskId)).getView(),
  }),
  define({
    name: "list_tasks",
    description: "The project's tasks, newest first (status and prompt), at most 50.",
    input: z.object({ status: taskStatusSchema.optional().describe("Only tasks with this status") }),
    access: "read",
    run: async (host, { status }) =>
      (await host.listTasks())
        .filter((t) => !status || t.status === status)
        .slice(0, 50)
        .map((t) => ({ id: t.id, status: t.status, prompt: t.prompt.slice(0, 200), missionId: t.missionId })),
  }),
  define({
    name: "cancel_task",
    description: "Cancel a task (and its children).",
    input: taskParam,
    access: "write",
    run: async (host, { taskId }) => {
      const view = await (await taskActor(host, taskId)).cancel(`cancelled by ${host.via} for ${host.userName}`);
      return { id: view.id, status: view.status };
    },
  }),
  define({
    name: "send_message_to_task",
    description: "Send a running task a message; its model reads it before its next step.",
    input: taskParam.extend({ text: z.string().trim().min(1).max(10_000).describe("The message") }),
    access: "write",
    run: async (host, { taskId, text }) => {
      const sent = await (await taskActor(host, taskId)).sendMessage(text, `${host.via} (for ${host.userName})`);
      if (!sent.ok) throw new ToolFailure(sent.message);
      return { delivered: true };
    },
  }),
  define({
    name: "retry_task",
    description: "Start a failed or cancelled task again, as a new task with the same prompt and model.",
    input: taskParam,
    access: "write",
    run: async (host, { taskId }) => {
      const actor = await taskActor(host, taskId);
      const view = await actor.getView();
      const spec = (await actor.getSpec()) as TaskSpec | null;
      if (!view || !spec) throw new ToolFailure(`no task ${taskId}`);
      if (view.status !== "failed" && view.status !== "cancelled") throw new ToolFailure(`task ${taskId} is ${view.status}; only a failed or cancelled task can be retried`);
      if (view.missionId) throw new ToolFailure(`task ${taskId} belongs to mission ${view.missionId}, which retries its own tasks`);
      const retried = await host.launchTask({ prompt: spec.prompt, model: spec.model, script: spec.script, maxSteps: spec.maxSteps, sessionId: host.sessionId ?? undefined });
      return { id: retried.id, status: retried.status, retryOf: taskId };
    },
  }),
  define({
    name: "search_messages",
    description: "Full-text search over the project's chat messages.",
    input: searchParam,
    access: "read",
    run: async (host, { query, limit }) =>
      (await host.searchMessages(query, limit)).map((m) => ({ sessionId: m.sessionId, seq: m.seq, author: m.author, text: m.text.slice(0, 500), createdAt: m.createdAt })),
  }),
  define({
    name: "add_knowledge",
    description: "Remember a fact about the project (architecture, conventions, decisions).",
    input: z.object({ title: z.string().trim().min(1).max(200).describe("A short title"), text: z.string().trim().min(1).max(20_000).describe("The fact") }),
    access: "write",
    run: async (host, { title, text }) => host.addKnowledge(title, text),
  }),
  define({
    name: "search_knowledge",
    description: "Full-text search over the project's knowledge.",
    input: searchParam,
    access: "read",
    run: async (host, { query, limit }) => host.searchKnowledge(query, limit),
  }),
  define({
    name: "add_policy",
    description: "Add a project policy: a rule included in every task's instructions from now on.",
    input: z.object({ text: z.string().trim().min(1).max(2000).describe("The rule") }),
    access: "write",
    run: async (host, { text }) => host.addPolicy(text, host.userName),
  }),
  define({
    name: "list_policies",
    description: "The project's policies.",
    input: z.object({}),
    access: "read",
    run: async (host) => host.listPolicies(),
  }),
  define({
    name: "get_project_status",
    description: "An overview: tasks and missions by status, what waits on a person, and total cost.",
    input: z.object({}),
    access: "read",
    run: async (host) => projectStatus(await host.listTasks(), await host.listMissions()),
  }),
];

const BY_NAME = new Map(PLATFORM_TOOLS.map((tool) => [tool.name, tool]));

/** The platform tool named `name`, or undefined. */
export function platformTool(name: string): PlatformTool | undefined {
  return BY_NAME.get(name);
}

/** The outcome of running a platform tool by name: its JSON result, or the error text for the caller. */
export type PlatformToolOutcome = { ok: true; result: unknown } | { ok: false; message: string };

/**
 * Runs the platform tool `name` for `host` on `input` (parsed with the tool's schema here: this
 * is a boundary). Never throws: an unknown tool, invalid input, a ToolFailure or any other error
 * becomes `{ok: false, message}` (an unexpected error is logged and reported generically).
 */
export async function runPlatformTool(host: PlatformHost, name: string, input: unknown): Promise<PlatformToolOutcome> {
  const tool = platformTool(name);
  if (!tool) return { ok: false, message: `no platform tool ${name}` };
  const parsed = tool.input.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, message: `invalid input for ${name}: ${z.prettifyError(parsed.error)}` };
  try {
    return { ok: true, result: await tool.run(host, parsed.data) };
  } catch (error) {
    if (error instanceof ToolFailure) return { ok: false, message: error.message };
    console.error(`platform tool ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: false, message: `${name} failed: ${error instanceof Error ? error.message : "unexpected error"}` };
  }
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
