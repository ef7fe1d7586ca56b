/**
 * The platform tools a task's model may call besides the workspace tools (issue 3):
 * `dispatch_task` (start a child task), `wait_for_tasks` (wait for children, using no compute)
 * and `ask_human` (wait for a person's answer). The task actor runs them, because they change
 * its own state; this module holds their names, input schemas and descriptions.
 */
import { tool, zodSchema, type ToolSet } from "ai";
import { z } from "zod";
import { scriptSchema } from "../shared/script.ts";

/** Input schemas of the platform tools. */
export const platformToolInputs = {
  dispatch_task: z.object({
    prompt: z.string().trim().min(1).max(100_000).describe("What the child task must do"),
    model: z.string().min(1).max(200).optional().describe("Model id for the child (default: this task's model)"),
    script: scriptSchema.optional().describe("Steps for the `scripted` model (tests and demos)"),
    idempotency_key: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("Dispatching again with the same key returns the existing child instead of a new one"),
  }),
  wait_for_tasks: z.object({
    task_ids: z.array(z.string()).max(100).optional().describe("Children to wait for (default: every child of this task)"),
  }),
  ask_human: z.object({ question: z.string().trim().min(1).max(4000).describe("The question for a person; the task waits for the answer") }),
  request_vm: z.object({
    reason: z.string().trim().min(1).max(2000).describe("Why the task needs a VM (what the sandbox cannot do)"),
    needs: z
      .object({
        cpus: z.number().int().min(1).max(64).optional().describe("CPU cores needed"),
        memoryGb: z.number().min(0.5).max(256).optional().describe("Memory needed, GB"),
        diskGb: z.number().min(1).max(2000).optional().describe("Disk needed, GB"),
        docker: z.boolean().optional().describe("Whether Docker is needed"),
        network: z.boolean().optional().describe("Whether network access is needed"),
      })
      .default({})
      .describe("What the VM must have"),
  }),
} as const;

/** Names of the platform tools. */
export type PlatformToolName = keyof typeof platformToolInputs;

const descriptions: Record<PlatformToolName, string> = {
  dispatch_task:
    "Start a child task with its own isolated workspace. Returns its task id at once; use wait_for_tasks to get its result.",
  wait_for_tasks: "Wait until the given child tasks (default: all) have ended; returns each one's status, summary and changed files.",
  ask_human: "Ask a person a question and wait for the answer (use when a decision or information only a person has is needed).",
  request_vm:
    "Move this task from its sandbox to a VM (more CPU, memory and time; network when the project allows it). The workspace moves with it and later commands run on the VM. Refused, with the reason, when the project's policy does not allow it.",
};

/** Whether `name` is a platform tool. */
export function isPlatformTool(name: string): name is PlatformToolName {
  return name in platformToolInputs;
}

let toolSet: ToolSet | null = null;

/**
 * AI SDK definitions of the platform tools (no `execute`: the task actor runs and journals
 * them). Built once per isolate, with `zodSchema` so the JSON Schema is computed once.
 */
export function platformToolSet(): ToolSet {
  if (toolSet) return toolSet;
  const set: ToolSet = {};
  for (const name of Object.keys(platformToolInputs) as PlatformToolName[]) {
    set[name] = tool({ description: descriptions[name], inputSchema: zodSchema(platformToolInputs[name] as z.ZodType<Record<string, unknown>>) });
  }
  toolSet = set;
  return set;
}
