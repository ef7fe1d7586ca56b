/**
 * A project's settings (its tech lead's model and its limits) as stored by the project actor,
 * shown by `GET /api/projects/:projectId` and changed by `PATCH`, and the sizes of a page of
 * chat history. A leaf module (zod only).
 */
import { z } from "zod";
import { projectLimitsPatchSchema, projectLimitsSchema } from "./limits.ts";
import { repositorySettingSchema } from "./repository.ts";
import { scriptSchema } from "./script.ts";

/**
 * Messages in a page of chat history when `GET .../messages` gives no `limit` (docs/api.md,
 * "Routes": 50, at most {@link MAX_MESSAGE_PAGE}).
 */
export const DEFAULT_MESSAGE_PAGE = 50;
/** Most messages one page of chat history may hold (`?limit=` above it is refused); see {@link DEFAULT_MESSAGE_PAGE}. */
export const MAX_MESSAGE_PAGE = 200;

/** The tech lead's model: any model id of src/models, with a script for `scripted`. */
export const techLeadSettingsSchema = z.object({ model: z.string().min(1).max(200), script: scriptSchema.optional() });
/** `{model, script?}`. */
export type TechLeadSettings = z.infer<typeof techLeadSettingsSchema>;

/** A project's settings as `GET /api/projects/:projectId` shows them. */
export const projectSettingsSchema = z.object({
  /** Null until someone sets it: the tech lead then says how to. */
  techLead: techLeadSettingsSchema.nullable().default(null),
  limits: projectLimitsSchema.prefault({}),
});
/** `{techLead: {model, script?} | null, limits}`. */
export type ProjectSettings = z.infer<typeof projectSettingsSchema>;

/** A change of settings (`PATCH /api/projects/:projectId`); absent fields stay as they are. */
export const projectSettingsPatchSchema = z
  .object({
    techLead: techLeadSettingsSchema.nullable().optional(),
    limits: projectLimitsPatchSchema.optional(),
    /** The project's repository (issue 16; owners only): `{url, defaultBranch}`, or null to remove it. Stored apart from the settings (src/actors/project/repository.ts). */
    repository: repositorySettingSchema.nullable().optional(),
  })
  .strict();
/** A parsed settings change. */
export type ProjectSettingsPatch = z.infer<typeof projectSettingsPatchSchema>;
