/**
 * Triggers: work that starts without a person present (issue 15, "Triggers"). A trigger is a cron
 * schedule or a signed webhook of one project that starts a task or a mission as the person it
 * runs as. A leaf module (zod, the id schemas and the task and mission request schemas), shared by
 * the project actor that owns triggers, the API and the UI.
 *
 * The cron expression's syntax is checked on the server with a cron library
 * (`actors/project/trigger-rules.ts`), not here: this module only says a cron trigger has one.
 */
import { z } from "zod";
import { idSchema, missionIdSchema, projectIdSchema, taskIdSchema, userIdSchema } from "../ids.ts";
import { missionRequestSchema } from "./mission-plan.ts";
import { taskRequestSchema } from "./task-spec.ts";

/** Trigger ids (`trg_...`) and run ids (`trun_...`). */
export const triggerIdSchema = idSchema("trigger");
export const triggerRunIdSchema = idSchema("triggerRun");

/** Largest webhook payload SAM takes, in bytes (issue 15: 256 KiB); a bigger call gets 413. */
export const MAX_WEBHOOK_PAYLOAD_BYTES = 256 * 1024;
/** What a template's prompts write where a webhook's payload (its raw body as text) goes; a cron firing puts an empty string there. */
export const PAYLOAD_PLACEHOLDER = "{{payload}}";
/** Runs kept per trigger, newest first; older ones are dropped as new ones are recorded. */
export const MAX_RUNS_PER_TRIGGER = 200;
/** Delivery ids remembered per webhook trigger (a repeat of one is acknowledged, not run). */
export const MAX_DELIVERIES_PER_TRIGGER = 1000;
/** The header carrying a webhook call's signature: `sha256=<hex HMAC-SHA256 of the raw body>` (GitHub's scheme). */
export const SIGNATURE_HEADER = "x-hub-signature-256";
/** Headers naming a webhook delivery, the first present wins: GitHub's, then SAM's own for other senders. */
export const DELIVERY_HEADERS = ["x-github-delivery", "x-sam-delivery"] as const;

/** `cron`: fires on a 5-field cron schedule (UTC); `webhook`: fires on a signed `POST /hooks/<triggerId>`. */
export const triggerKindSchema = z.enum(["cron", "webhook"]);
export type TriggerKind = z.infer<typeof triggerKindSchema>;

/**
 * What a firing starts: exactly one of a task (`{task: <POST .../tasks body>}`) or a mission
 * (`{mission: <POST .../missions body>}`), parsed by the same schemas as those routes. Prompts
 * (the task's, or each mission task's) may hold PAYLOAD_PLACEHOLDER.
 */
export const triggerTemplateSchema = z
  .object({ task: taskRequestSchema.optional(), mission: missionRequestSchema.optional() })
  .strict()
  .refine((t) => (t.task === undefined) !== (t.mission === undefined), { message: "a template is exactly one of {task: {...}} or {mission: {...}}" });
/** A template after parsing (defaults filled in). */
export type TriggerTemplate = z.infer<typeof triggerTemplateSchema>;
/** A template as a client writes it. */
export type TriggerTemplateInput = z.input<typeof triggerTemplateSchema>;

const nameSchema = z.string().trim().min(1).max(100);
/** A cron expression as given; its syntax (5 fields, values in range) is checked by `cronProblem` on the server. */
const scheduleSchema = z.string().trim().min(1).max(200);

/**
 * `POST /api/projects/:projectId/triggers`: a cron trigger needs `schedule`, a webhook trigger
 * may not have one; `enabled` defaults to true.
 */
export const triggerCreateSchema = z
  .object({
    name: nameSchema,
    kind: triggerKindSchema,
    schedule: scheduleSchema.nullable().optional(),
    template: triggerTemplateSchema,
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.kind === "cron" && !t.schedule) ctx.addIssue({ code: "custom", path: ["schedule"], message: 'a cron trigger needs a schedule, a 5-field cron expression in UTC such as "0 8 * * 1-5"' });
    if (t.kind === "webhook" && t.schedule) ctx.addIssue({ code: "custom", path: ["schedule"], message: "a webhook trigger has no schedule: it fires when its URL is called" });
  });
export type TriggerCreate = z.infer<typeof triggerCreateSchema>;
export type TriggerCreateInput = z.input<typeof triggerCreateSchema>;

/** `PATCH .../triggers/:triggerId`: any of the fields (the kind never changes); at least one. */
export const triggerPatchSchema = z
  .object({ name: nameSchema.optional(), schedule: scheduleSchema.nullable().optional(), template: triggerTemplateSchema.optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: "nothing to change: give name, schedule, template or enabled" });
export type TriggerPatch = z.infer<typeof triggerPatchSchema>;

/** How a firing ended: its work `started`; its start `refused` (access, budget, model, credentials, a template the payload broke) or `failed` (an unexpected error); or a repeated webhook delivery (`duplicate`, nothing run). */
export const triggerRunOutcomeSchema = z.enum(["started", "refused", "failed", "duplicate"]);
export type TriggerRunOutcome = z.infer<typeof triggerRunOutcomeSchema>;

/** One firing of a trigger (`GET .../triggers/:triggerId/runs`). Times ISO 8601. */
export const triggerRunSchema = z.object({
  id: triggerRunIdSchema,
  triggerId: triggerIdSchema,
  /** When it fired (the call arrived, or the alarm ran). */
  firedAt: z.string(),
  /** A cron firing's due time (the schedule's minute), else null. */
  dueAt: z.string().nullable(),
  /** A webhook call's delivery id (`X-GitHub-Delivery` / `X-SAM-Delivery`), else null. */
  deliveryId: z.string().nullable(),
  outcome: triggerRunOutcomeSchema,
  taskId: taskIdSchema.nullable(),
  missionId: missionIdSchema.nullable(),
  /** Why it was refused or failed (or which run a duplicate repeats); null when it started. */
  message: z.string().nullable(),
});
export type TriggerRun = z.infer<typeof triggerRunSchema>;

/** A trigger as the API shows it (never its webhook secret). Times ISO 8601. */
export const triggerViewSchema = z.object({
  id: triggerIdSchema,
  projectId: projectIdSchema,
  name: z.string(),
  kind: triggerKindSchema,
  /** The cron expression (UTC) of a cron trigger; null for a webhook. */
  schedule: z.string().nullable(),
  template: triggerTemplateSchema,
  enabled: z.boolean(),
  /** Who made it. */
  createdBy: userIdSchema,
  /** Whose task or mission a firing starts (their budgets, payer mode, access): the creator, or whoever last changed the template. */
  runsAs: userIdSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** A webhook trigger's path, `/hooks/<triggerId>` (relative to SAM's origin); null for cron. */
  hookPath: z.string().nullable(),
  /** When an enabled cron trigger fires next; null otherwise. */
  nextDueAt: z.string().nullable(),
  /** Its latest run, or null. */
  lastRun: triggerRunSchema.nullable(),
});
export type TriggerView = z.infer<typeof triggerViewSchema>;

/** The path of a webhook trigger's URL. */
export function hookPath(triggerId: string): string {
  return `/hooks/${triggerId}`;
}
