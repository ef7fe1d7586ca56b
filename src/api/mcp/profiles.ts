/**
 * The MCP server's tool profiles (issue 17, `POST /mcp?profile=...`): which of SAM's tools a
 * client is offered. `full` (the default) is every tool; `workspace` suits an agent working on
 * code beside SAM (read the project, its tasks, chat and knowledge; add knowledge; message a
 * task); `orchestrate` suits an agent that runs work through SAM (start, follow and cancel tasks
 * and missions). Pure.
 */
import { z } from "zod";

/** The tools the MCP server offers, in the order it lists them (issue 17's list). */
export const MCP_TOOL_NAMES = [
  "list_projects",
  "get_project_status",
  "dispatch_task",
  "get_task",
  "list_tasks",
  "cancel_task",
  "send_message_to_task",
  "create_mission",
  "get_mission",
  "list_missions",
  "cancel_mission",
  "search_messages",
  "add_knowledge",
  "search_knowledge",
  "list_policies",
] as const;
export type McpToolName = (typeof MCP_TOOL_NAMES)[number];

/** A profile's name. */
export const mcpProfileSchema = z.enum(["workspace", "orchestrate", "full"]);
export type McpProfile = z.infer<typeof mcpProfileSchema>;

/** The profile when `?profile` is absent. */
export const DEFAULT_MCP_PROFILE: McpProfile = "full";

/** The tools of each profile. */
export const MCP_PROFILES: Record<McpProfile, readonly McpToolName[]> = {
  workspace: ["list_projects", "get_project_status", "get_task", "list_tasks", "send_message_to_task", "search_messages", "add_knowledge", "search_knowledge", "list_policies"],
  orchestrate: [
    "list_projects",
    "get_project_status",
    "dispatch_task",
    "get_task",
    "list_tasks",
    "cancel_task",
    "send_message_to_task",
    "create_mission",
    "get_mission",
    "list_missions",
    "cancel_mission",
    "list_policies",
  ],
  full: MCP_TOOL_NAMES,
};

/** The profile a request's `?profile` names (absent or empty: the default), or null when it names none. */
export function profileOf(raw: string | null): McpProfile | null {
  if (raw === null || raw === "") return DEFAULT_MCP_PROFILE;
  const parsed = mcpProfileSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}
