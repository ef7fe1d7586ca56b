/**
 * The `scripted` model's script: the steps it replays (tool calls to make, or a final text).
 * A leaf module (zod only), so that specs, the API, tools and the UI can validate scripts
 * without importing the model itself (`src/models/scripted.ts`).
 */
import { z } from "zod";

/** One scripted step: tool calls to make, or a final text (or both). */
export const scriptStepSchema = z
  .object({
    text: z.string().optional(),
    toolCalls: z
      .array(z.object({ toolName: z.string().min(1), input: z.unknown() }))
      .max(32)
      .optional(),
  })
  .strict()
  .refine((s) => s.text !== undefined || (s.toolCalls !== undefined && s.toolCalls.length > 0), {
    message: "a script step needs `text` or a non-empty `toolCalls`",
  });
export type ScriptStep = z.infer<typeof scriptStepSchema>;

/** A whole script: at most 1,000 steps. */
export const scriptSchema = z.array(scriptStepSchema).min(1).max(1000);

/** Text the model answers with once its script has run out. */
export const SCRIPT_FINISHED_TEXT = "script finished";
