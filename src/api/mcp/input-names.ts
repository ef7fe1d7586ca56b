/**
 * Field names of the MCP tools' inputs. MCP clients (and the issue's contract: `dispatch_task
 * {project_id, prompt, ...}`) name fields in snake_case, while the platform tools' definitions
 * (shared with the tech lead and the HTTP API's bodies) use camelCase. Each top-level camelCase
 * field is advertised in snake_case (`task_id`) and also accepted under its camelCase name
 * (`taskId`), so a client that copies the API's bodies still works; nested fields (a mission's
 * `tasks[].dependsOn`) keep the API's names.
 */
import { z } from "zod";

/** `taskId` → `task_id`; names without capitals are unchanged. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The MCP input schema for a definition's input object: every camelCase top-level field under
 * its snake_case name (the one advertised first) and its camelCase name, both optional, with a
 * check that a required field came under one of them. Returns the schema and the names it renamed.
 */
export function mcpInputSchema(input: z.ZodObject): { schema: z.ZodObject; renamed: Map<string, string> } {
  const shape: Record<string, z.ZodType> = {};
  const renamed = new Map<string, string>();
  const required: string[] = [];
  for (const [name, field] of Object.entries(input.shape as Record<string, z.ZodType>)) {
    const snake = snakeCase(name);
    if (snake === name) {
      shape[name] = field;
      continue;
    }
    renamed.set(snake, name);
    if (!field.safeParse(undefined).success) required.push(name);
    shape[snake] = field.optional();
    shape[name] = field.optional().describe(`The same as ${snake} (the HTTP API's name)`);
  }
  const schema = z.object(shape).superRefine((value, ctx) => {
    for (const name of required) {
      const snake = snakeCase(name);
      if ((value as Record<string, unknown>)[snake] === undefined && (value as Record<string, unknown>)[name] === undefined) {
        ctx.addIssue({ code: "custom", path: [snake], message: `${snake} is required` });
      }
    }
  });
  return { schema: schema as unknown as z.ZodObject, renamed };
}

/** `args` with the renamed fields back under their camelCase names (the snake_case value wins when both came). */
export function fromMcpArgs(args: Record<string, unknown>, renamed: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  for (const [snake, camel] of renamed) {
    if (out[snake] !== undefined) out[camel] = out[snake];
    delete out[snake];
  }
  return out;
}
