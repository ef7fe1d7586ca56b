/**
 * What starts a task: the request a caller gives (`POST /api/projects/:projectId/tasks`, the
 * tech lead's `create_task`) and the full spec `TaskAgent.start` takes over RPC. A leaf module
 * (zod and the id schemas only), shared by the task actor, missions, tools and the API.
 */
import { z } from "zod";
import { missionIdSchema, projectIdSchema, sessionIdSchema, taskIdSchema, userIdSchema } from "../ids.ts";
import { taskLimitsSchema } from "./limits.ts";
import { taskRepoRequestSchema } from "./repository.ts";
import { scriptSchema } from "./script.ts";

/** Model steps a task may take when its spec gives no `maxSteps` (docs/api.md, "Task tools": default 30, max {@link MAX_MAX_STEPS}). */
export const DEFAULT_MAX_STEPS = 30;
/** Upper bound on `maxSteps`. */
export const MAX_MAX_STEPS = 1000;

/** Longest name of one path segment of a seed file, in UTF-8 bytes (Linux's NAME_MAX). */
export const MAX_SEED_SEGMENT_BYTES = 255;

/**
 * What is wrong with a workspace seed file's `path`, in words naming it, or null when it is
 * fine. A seed path is relative to the workspace and plain: not empty, no NUL or other control
 * character (U+0000–U+001F, U+007F), not absolute (`/etc/x`), no empty segment (`a//b`, `a/`), no
 * `.` or `..` segment (`.`, `../x`), and no segment longer than MAX_SEED_SEGMENT_BYTES. Refusing
 * these when a task is created (400) replaces a failure later, when its workspace is made.
 */
export function seedPathProblem(path: string): string | null {
  const shown = JSON.stringify(path);
  if (path.length === 0) return "a seed file path may not be empty";
  if (/[\u0000-\u001f\u007f]/.test(path)) return `seed file path ${shown} contains a NUL or control character`;
  if (path.startsWith("/")) return `seed file path ${shown} is absolute; seed paths are relative to the workspace`;
  for (const segment of path.split("/")) {
    if (segment === "") return `seed file path ${shown} has an empty segment`;
    if (segment === "." || segment === "..") return `seed file path ${shown} has a '${segment}' segment; seed paths name files inside the workspace`;
    if (new TextEncoder().encode(segment).length > MAX_SEED_SEGMENT_BYTES) return `seed file path ${shown} has a segment longer than ${MAX_SEED_SEGMENT_BYTES} bytes`;
  }
  return null;
}

/** Most problems with seed paths one refusal lists (a seed may name 1,000 files). */
const MAX_SEED_PROBLEMS_LISTED = 5;

/**
 * Seed files `{files?: {path: content}}`: at most 1,000 files, paths up to 1,024 characters, each
 * path as `seedPathProblem` allows, and no path that is also the folder of another (`a` and `a/b`).
 */
export const workspaceSeedSchema = z
  .object({ files: z.record(z.string().min(1).max(1024), z.string()).optional() })
  .refine((w) => Object.keys(w.files ?? {}).length <= 1000, { message: "at most 1000 seed files" })
  .superRefine((w, ctx) => {
    const paths = Object.keys(w.files ?? {});
    const folders = new Set(paths.flatMap((path) => path.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"))));
    let listed = 0;
    for (const path of paths) {
      if (listed >= MAX_SEED_PROBLEMS_LISTED) break;
      const problem = seedPathProblem(path) ?? (folders.has(path) ? `seed file path ${JSON.stringify(path)} is also the folder of another seed file` : null);
      if (!problem) continue;
      ctx.addIssue({ code: "custom", message: problem, path: ["files", path] });
      listed++;
    }
  });

/** Where a task runs: `sandbox` (never a VM), `vm` (a VM from its start), `auto` (the sandbox, escalating to a VM when it needs one). */
export const taskRuntimeSchema = z.enum(["sandbox", "vm", "auto"]);
/** `"sandbox" | "vm" | "auto"`; see {@link taskRuntimeSchema}. */
export type TaskRuntime = z.infer<typeof taskRuntimeSchema>;

/** What a caller gives to start a task (the API adds ids). */
export const taskRequestSchema = z.object({
  prompt: z.string().trim().min(1).max(100_000),
  model: z.string().min(1).max(200).default("scripted"),
  script: scriptSchema.optional(),
  workspace: workspaceSeedSchema.optional(),
  maxSteps: z.number().int().positive().max(MAX_MAX_STEPS).optional(),
  /** USD the task may spend on model calls; absent: the project's default; null: no task budget. */
  budgetUsd: z.number().positive().max(1_000_000).nullable().optional(),
  /** Where the task runs (issue 16): `sandbox` only, a `vm` from the start, or `auto` (default): the sandbox, escalating to a VM on need. */
  runtime: taskRuntimeSchema.optional(),
  /** Work on the project's repository (issue 16): clone at `ref`, commit, push `sam/<taskId>`, open a pull request. Refused (400) when the project has no repository. */
  repo: taskRepoRequestSchema.optional(),
});
/** A task request as a client writes it (`POST /api/projects/:projectId/tasks`; defaults may be left out). */
export type TaskRequestInput = z.input<typeof taskRequestSchema>;

/** Full spec of a task, as `TaskAgent.start` takes it over RPC (the API, a mission or a parent task). */
export const taskSpecSchema = taskRequestSchema.extend({
  id: taskIdSchema,
  projectId: projectIdSchema,
  userId: userIdSchema,
  /** The mission the task belongs to (set by the mission, inherited by children). */
  missionId: missionIdSchema.optional(),
  /** The mission's USD budget, which the task's calls count against with the mission's other tasks. */
  missionBudgetUsd: z.number().positive().nullable().optional(),
  /** The parent task of a child task. */
  parentTaskId: taskIdSchema.optional(),
  /** 0 for a top-level task. */
  depth: z.number().int().min(0).max(100).default(0),
  /** Where the task's questions appear in the chat (the project's newest session when absent). */
  sessionId: sessionIdSchema.optional(),
  /** Project policies, part of the instructions; fetched from the project when absent. */
  policies: z.array(z.string()).max(200).optional(),
  /** The project's limits, as `ProjectAgent.taskSettings` gives them; fetched when absent. */
  limits: taskLimitsSchema.optional(),
});
/** A task spec as callers write it (defaults may be left out). */
export type TaskSpec = z.input<typeof taskSpecSchema>;
