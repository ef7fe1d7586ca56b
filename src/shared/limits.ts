/**
 * A project's limits on child tasks, concurrency and silence: the one definition that the
 * project actor stores, tasks copy at their start, the API validates and the UI shows.
 * A leaf module (zod only). The defaults are issue 3's.
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

/** The project's limits as stored and shown; every field has its default (depth 3, 5 children, 10 tasks at once, 10 minutes of silence). */
export const projectLimitsSchema = z.object({
  maxDepth: limitFields.maxDepth.default(3),
  maxChildren: limitFields.maxChildren.default(5),
  maxConcurrentTasks: limitFields.maxConcurrentTasks.default(10),
  silenceMs: limitFields.silenceMs.default(600_000),
});
/**
 * A change of some limits (`PATCH /api/projects/:projectId {limits}`): each field optional and
 * without a default, so the limits a patch leaves out stay as they are.
 */
export const projectLimitsPatchSchema = z.object(limitFields).partial();
/** `{maxDepth, maxChildren, maxConcurrentTasks, silenceMs}` (counts; `silenceMs` in ms). */
export type ProjectLimits = z.infer<typeof projectLimitsSchema>;

/** The project's limits with every default filled in. */
export const DEFAULT_PROJECT_LIMITS: ProjectLimits = projectLimitsSchema.parse({});

/** The part of the project's limits a task copies when it starts (it never changes after). */
export const taskLimitsSchema = projectLimitsSchema.pick({ maxDepth: true, maxChildren: true, silenceMs: true });
/** `{maxDepth, maxChildren, silenceMs}`: see {@link projectLimitsSchema}. */
export type TaskLimits = z.infer<typeof taskLimitsSchema>;

/** The task limits of a project's limits. */
export function taskLimitsOf(limits: ProjectLimits): TaskLimits {
  return { maxDepth: limits.maxDepth, maxChildren: limits.maxChildren, silenceMs: limits.silenceMs };
}
