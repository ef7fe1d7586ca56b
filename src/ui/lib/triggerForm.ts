/**
 * The "New trigger" form's fields turned into `POST .../triggers`'s body, checked with the same
 * schemas as the server (src/shared/trigger.ts) so the form refuses what the API would, with the
 * first problem in words (pure; test/node/triggers.test.ts). The cron expression's syntax is the
 * server's to check (it uses a cron library).
 */
import { missionRequestSchema } from "../../shared/mission-plan.ts";
import { triggerCreateSchema, type TriggerCreateInput, type TriggerKind } from "../../shared/trigger.ts";
import { firstIssue } from "./issues.ts";
import { checkScript } from "./script.ts";

/** What the form holds, as typed. */
export interface TriggerFormFields {
  name: string;
  kind: TriggerKind;
  /** Cron only. */
  schedule: string;
  /** What a firing starts: a task (prompt, model, optional script) or a mission (its JSON body). */
  starts: "task" | "mission";
  prompt: string;
  model: string;
  script: string;
  missionJson: string;
  enabled: boolean;
}

/** The body to send, or the first problem with the fields. */
export function triggerInputFrom(fields: TriggerFormFields): { ok: true; input: TriggerCreateInput } | { ok: false; error: string } {
  if (!fields.name.trim()) return { ok: false, error: "Give the trigger a name." };
  if (fields.kind === "cron" && !fields.schedule.trim()) return { ok: false, error: "A cron trigger needs a schedule (5 fields, UTC), e.g. 0 8 * * 1-5." };
  let template: TriggerCreateInput["template"];
  if (fields.starts === "task") {
    if (!fields.prompt.trim()) return { ok: false, error: "Write the task's prompt." };
    const script = checkScript(fields.script);
    if (!script.ok) return { ok: false, error: script.error };
    template = { task: { prompt: fields.prompt.trim(), model: fields.model || "scripted", ...(script.steps ? { script: script.steps } : {}) } };
  } else {
    let mission: unknown;
    try {
      mission = JSON.parse(fields.missionJson);
    } catch (error) {
      return { ok: false, error: `The mission is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
    }
    const checked = missionRequestSchema.safeParse(mission);
    if (!checked.success) return { ok: false, error: firstIssue("The mission", checked.error, (index) => `item ${index + 1}`) };
    template = { mission: mission as NonNullable<TriggerCreateInput["template"]["mission"]> };
  }
  const input: TriggerCreateInput = { name: fields.name.trim(), kind: fields.kind, template, enabled: fields.enabled };
  if (fields.kind === "cron") input.schedule = fields.schedule.trim();
  const checked = triggerCreateSchema.safeParse(input);
  if (!checked.success) return { ok: false, error: firstIssue("The trigger", checked.error, (index) => `item ${index + 1}`) };
  return { ok: true, input };
}
