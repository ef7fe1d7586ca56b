/**
 * What starts a mission: its goal and plan (tasks with dependencies), as callers give it
 * (`POST /api/projects/:projectId/missions`, the tech lead's `create_mission`), and the full spec
 * `MissionAgent.create` takes. Plan validation (`planProblem`) is pure and lives here, so the
 * API, the tools and the mission actor refuse the same plans with the same words.
 * A leaf module (zod and the id schemas only).
 */
import { z } from "zod";
import { missionIdSchema, projectIdSchema, sessionIdSchema, userIdSchema } from "../ids.ts";
import { taskRepoRequestSchema } from "./repository.ts";
import { scriptSchema } from "./script.ts";
import { MAX_MAX_STEPS, taskRuntimeSchema, workspaceSeedSchema } from "./task-spec.ts";

/** Tasks a mission runs at once unless its spec gives `maxConcurrent` (docs/api.md, "Routes", `POST .../missions`). */
export const DEFAULT_MAX_CONCURRENT = 4;
/** Retries of a failed task unless the mission's spec gives `maxRetries` (docs/api.md, "The tech lead and missions"). */
export const DEFAULT_MAX_RETRIES = 1;

const planKeySchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, "a task key uses letters, digits, '_', '.' and '-'");

/** One task of a plan, as callers give it. */
export const missionTaskRequestSchema = z.object({
  key: planKeySchema,
  prompt: z.string().trim().min(1).max(100_000),
  dependsOn: z.array(planKeySchema).max(100).default([]),
  model: z.string().min(1).max(200).default("scripted"),
  script: scriptSchema.optional(),
  workspace: workspaceSeedSchema.optional(),
  maxSteps: z.number().int().positive().max(MAX_MAX_STEPS).optional(),
  /** Where this task runs: `sandbox`, `vm` or `auto` (default; see `taskRuntimeSchema`). */
  runtime: taskRuntimeSchema.optional(),
  /** Work on the project's repository; `branch: "shared"`: the mission's tasks share `sam/<missionId>`. */
  repo: taskRepoRequestSchema.optional(),
});
/** One plan entry after parsing (defaults filled in). */
export type MissionTaskRequest = z.infer<typeof missionTaskRequestSchema>;

/**
 * A mission as callers give it (API, tech lead). Refuses duplicate keys, unknown or self
 * dependencies and cycles, naming the keys involved.
 */
export const missionRequestSchema = z
  .object({
    goal: z.string().trim().min(1).max(10_000),
    tasks: z.array(missionTaskRequestSchema).min(1).max(500),
    maxConcurrent: z.number().int().min(1).max(1000).default(DEFAULT_MAX_CONCURRENT),
    maxRetries: z.number().int().min(0).max(10).default(DEFAULT_MAX_RETRIES),
    /** Where the tech lead posts the outcome; the project's newest session when absent. */
    sessionId: sessionIdSchema.optional(),
    /** USD all the mission's model calls may spend together; absent: the project's default; null: none. */
    budgetUsd: z.number().positive().max(1_000_000).nullable().optional(),
  })
  .superRefine((mission, ctx) => {
    const problem = planProblem(mission.tasks);
    if (problem) ctx.addIssue({ code: "custom", path: ["tasks"], message: problem });
  });
/** A mission request after parsing. */
export type MissionRequest = z.infer<typeof missionRequestSchema>;
/** A mission request as a client writes it (`POST /api/projects/:projectId/missions`; defaults may be left out). */
export type MissionRequestInput = z.input<typeof missionRequestSchema>;

/** What `MissionAgent.create` takes: the request plus ids the caller derived. */
export const missionSpecSchema = missionRequestSchema.safeExtend({
  id: missionIdSchema,
  projectId: projectIdSchema,
  userId: userIdSchema,
});
/** A mission spec as callers write it (defaults may be left out). */
export type MissionSpec = z.input<typeof missionSpecSchema>;

/**
 * Why a plan cannot run, or null if it can: the first duplicate key, unknown or self
 * dependency, or a cycle (reported as one path through it, `a → b → a`). Pure.
 */
export function planProblem(tasks: readonly { key: string; dependsOn?: readonly string[] }[]): string | null {
  const keys = new Set<string>();
  for (const task of tasks) {
    if (keys.has(task.key)) return `duplicate task key "${task.key}"`;
    keys.add(task.key);
  }
  for (const task of tasks) {
    for (const dep of task.dependsOn ?? []) {
      if (dep === task.key) return `task "${task.key}" depends on itself`;
      if (!keys.has(dep)) return `task "${task.key}" depends on unknown task "${dep}"`;
    }
  }
  // Depth-first search for a cycle; reports one path through it.
  const deps = new Map(tasks.map((t) => [t.key, t.dependsOn ?? []]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string, path: string[]): string | null => {
    if (state.get(key) === "done") return null;
    if (state.get(key) === "visiting") return `the plan has a cycle: ${[...path.slice(path.indexOf(key)), key].join(" → ")}`;
    state.set(key, "visiting");
    for (const dep of deps.get(key) ?? []) {
      const found = visit(dep, [...path, key]);
      if (found) return found;
    }
    state.set(key, "done");
    return null;
  };
  for (const task of tasks) {
    const found = visit(task.key, []);
    if (found) return found;
  }
  return null;
}
