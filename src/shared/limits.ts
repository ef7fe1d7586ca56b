/**
 * A project's limits on child tasks, concurrency and silence: the one definition that the
 * project actor stores, tasks copy at their start, the API validates and the UI shows.
 * A leaf module (zod only). The ranges and defaults are documented with the project settings
 * in docs/api.md (`PATCH /api/projects/:projectId`).
 */
import { z } from "zod";

/** Each limit's range, without a default (a patch must not fill in what it leaves out). */
const limitFields = {
  /** Deepest level of child tasks (a top-level task is at 0). */
  maxDepth: z.number().int().min(0).max(10),
  /** Children one task may dispatch. */
  maxChildren: z.number().int().min(0).max(100),
  /** Mission tasks running at once across all the project's missions. */
  maxConcurrentTasks: z.number().int().min(1).max(1000),
  /** Time without progress before a task's check-in, and again before it fails, in ms. */
  silenceMs: z.number().int().min(1000).max(7 * 24 * 3600 * 1000),
};

/**
 * The project's policy on VMs (issue 16, "Escalation to a VM"): whether its tasks may escalate
 * from the sandbox to a VM, how many VMs it may hold at once, the most hours one VM may live
 * (the reconciliation deletes an older one and fails its task), the provider's server type
 * (Hetzner Cloud names, e.g. `cx22`), and whether commands on a VM get the network (a command
 * that failed for want of network in the sandbox escalates only when this is true). Off by default.
 */
export const vmPolicySchema = z.object({
  allowed: z.boolean().default(false),
  maxConcurrent: z.number().int().min(1).max(100).default(1),
  maxHours: z.number().positive().max(168).default(2),
  serverType: z.string().regex(/^[a-z0-9-]{2,40}$/).default("cx22"),
  network: z.boolean().default(false),
});
/** `{allowed, maxConcurrent, maxHours, serverType, network}`; see {@link vmPolicySchema}. */
export type VmPolicy = z.infer<typeof vmPolicySchema>;

/** The project's limits as stored and shown; every field has its default (depth 3, 5 children, 10 tasks at once, 10 minutes of silence, VMs not allowed). */
export const projectLimitsSchema = z.object({
  maxDepth: limitFields.maxDepth.default(3),
  maxChildren: limitFields.maxChildren.default(5),
  maxConcurrentTasks: limitFields.maxConcurrentTasks.default(10),
  silenceMs: limitFields.silenceMs.default(600_000),
  vm: vmPolicySchema.prefault({}),
});
/**
 * A change of some limits (`PATCH /api/projects/:projectId {limits}`): each field optional and
 * without a default, so the limits a patch leaves out stay as they are (`vm`'s fields too).
 */
export const projectLimitsPatchSchema = z.object({ ...limitFields, vm: z.object(vmPolicySchema.shape).partial() }).partial();
/** `{maxDepth, maxChildren, maxConcurrentTasks, silenceMs}` (counts; `silenceMs` in ms). */
export type ProjectLimits = z.infer<typeof projectLimitsSchema>;

/** The part of the project's limits a task copies when it starts (it never changes after). */
export const taskLimitsSchema = projectLimitsSchema.pick({ maxDepth: true, maxChildren: true, silenceMs: true });
/** `{maxDepth, maxChildren, silenceMs}`: see {@link projectLimitsSchema}. */
export type TaskLimits = z.infer<typeof taskLimitsSchema>;

/** The task limits with every default filled in (depth 3, 5 children, 10 minutes of silence). */
const DEFAULT_TASK_LIMITS: TaskLimits = taskLimitsSchema.parse({});

/**
 * The task limits a task stored at its start (`stored`: the parsed JSON of its row, of any
 * shape), made whole: each field that is in range is kept, and each one missing or invalid
 * (out of range, not an integer, not a number) takes its default, so a row written by an older
 * version or with a bad value still gives a task its limits. Never throws.
 */
export function taskLimitsFrom(stored: unknown): TaskLimits {
  const fields: Record<string, unknown> = typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : {};
  const field = <K extends keyof TaskLimits>(key: K): TaskLimits[K] => {
    const parsed = taskLimitsSchema.shape[key].safeParse(fields[key]);
    return parsed.success ? (parsed.data as TaskLimits[K]) : DEFAULT_TASK_LIMITS[key];
  };
  return { maxDepth: field("maxDepth"), maxChildren: field("maxChildren"), silenceMs: field("silenceMs") };
}

/** The task limits of a project's limits. */
export function taskLimitsOf(limits: ProjectLimits): TaskLimits {
  return { maxDepth: limits.maxDepth, maxChildren: limits.maxChildren, silenceMs: limits.silenceMs };
}
