/**
 * The tech lead's tools (docs/api.md, "The tech lead and missions"): missions, tasks, the chat's
 * history, knowledge, policies and the project's status. They are generated from the platform
 * tools' one definition each (platform-tools.ts, which the MCP server uses too), bound to the
 * project the tech lead belongs to (a mission or task of another project is reported as not
 * found). Results are JSON values shown to the model and, as cards, in the chat.
 */
import { tool, type ToolSet } from "ai";
import { PLATFORM_TOOLS, type PlatformHost } from "./platform-tools.ts";

export { ToolFailure, type LaunchTaskRequest } from "./platform-tools.ts";

/** What the tech lead's tools need from the project actor they run in (see PlatformHost). */
export type TechLeadHost = PlatformHost;

/**
 * Builds the tech lead's tools (with `execute`) bound to `host`: one AI SDK tool per platform
 * tool, with its name, description and input schema. A ToolFailure thrown by `execute` is the
 * tool's error for the model.
 */
export function techLeadToolSet(host: TechLeadHost): ToolSet {
  const set: ToolSet = {};
  for (const definition of PLATFORM_TOOLS) {
    set[definition.name] = tool({
      description: definition.description,
      inputSchema: definition.input,
      execute: (input) => definition.run(host, input),
    });
  }
  return set;
}
