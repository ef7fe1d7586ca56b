/**
 * The workspace tools a task's model may call (issue 2): read_file, write_file, edit_file,
 * list_files, grep, bash. Each has a zod input schema; running one never throws — failures
 * become tool results with `isError`, which go back to the model.
 */
import { tool, zodSchema, type ToolSet } from "ai";
import { z } from "zod";
import { EXEC_DEFAULT_MAX_OUTPUT_BYTES, EXEC_DEFAULT_TIMEOUT_MS, EXEC_MAX_TIMEOUT_MS, WorkspaceError, type Workspace } from "../sandbox/workspace.ts";

/** What running a tool call produced. `exitCode` is set for bash only. */
export interface ToolOutcome {
  output: string;
  isError: boolean;
  exitCode: number | null;
}

/** Cap on text returned to the model from file reads and listings, in characters. */
const MAX_TOOL_TEXT = EXEC_DEFAULT_MAX_OUTPUT_BYTES;

function capText(text: string): string {
  return text.length > MAX_TOOL_TEXT ? `${text.slice(0, MAX_TOOL_TEXT)}\n[truncated at ${MAX_TOOL_TEXT} characters]` : text;
}

const ok = (output: string): ToolOutcome => ({ output, isError: false, exitCode: null });
const fail = (output: string): ToolOutcome => ({ output, isError: true, exitCode: null });

const inputs = {
  read_file: z.object({ path: z.string().min(1).describe("Workspace-relative path of the file") }),
  write_file: z.object({
    path: z.string().min(1).describe("Workspace-relative path; parent directories are created"),
    content: z.string().describe("The whole new content of the file"),
  }),
  edit_file: z.object({
    path: z.string().min(1),
    old_string: z.string().min(1).describe("Exact text to replace; must occur exactly once"),
    new_string: z.string().describe("Replacement text"),
  }),
  list_files: z.object({ path: z.string().optional().describe("Directory to list (default: the workspace root)") }),
  grep: z.object({
    pattern: z.string().min(1).describe("Regular expression to search file contents for"),
    path: z.string().optional().describe("File or directory to search (default: everything)"),
  }),
  bash: z.object({
    command: z.string().min(1).describe("A bash command, run in the workspace directory"),
    timeout_ms: z.number().int().positive().max(EXEC_MAX_TIMEOUT_MS).optional().describe(`Wall-clock limit in ms (default ${EXEC_DEFAULT_TIMEOUT_MS})`),
  }),
} as const;

/** Names of the workspace tools. */
export type WorkspaceToolName = keyof typeof inputs;

const descriptions: Record<WorkspaceToolName, string> = {
  read_file: "Read a UTF-8 text file from the workspace.",
  write_file: "Create or overwrite a file in the workspace.",
  edit_file: "Replace one exact occurrence of old_string with new_string in a file.",
  list_files: "List files and directories (recursive, skipping .git and node_modules).",
  grep: "Search file contents with a regular expression; returns path:line: text.",
  bash: "Run a bash command in the isolated workspace (no network). Returns exit code and output.",
};

let toolSet: ToolSet | null = null;

/**
 * AI SDK tool definitions (no `execute`: the task actor runs and journals each call itself).
 * Built once per isolate: each schema is wrapped with `zodSchema`, which converts it to JSON
 * Schema on first use and keeps the result (a bare zod schema is converted on every call).
 */
export function workspaceToolSet(): ToolSet {
  if (toolSet) return toolSet;
  const set: ToolSet = {};
  for (const name of Object.keys(inputs) as WorkspaceToolName[]) {
    set[name] = tool({ description: descriptions[name], inputSchema: zodSchema(inputs[name] as z.ZodType<Record<string, unknown>>) });
  }
  toolSet = set;
  return set;
}

function describeError(error: unknown): string {
  if (error instanceof WorkspaceError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

async function run(name: WorkspaceToolName, raw: unknown, ws: Workspace, defaultTimeoutMs: number, signal?: AbortSignal): Promise<ToolOutcome> {
  switch (name) {
    case "read_file": {
      const input = inputs.read_file.parse(raw);
      return ok(capText(await ws.read(input.path)));
    }
    case "write_file": {
      const input = inputs.write_file.parse(raw);
      const { bytes } = await ws.write(input.path, input.content);
      return ok(`wrote ${bytes} bytes to ${input.path}`);
    }
    case "edit_file": {
      const input = inputs.edit_file.parse(raw);
      const content = await ws.read(input.path);
      const count = content.split(input.old_string).length - 1;
      if (count === 0) return fail(`old_string was not found in ${input.path}`);
      if (count > 1) return fail(`old_string occurs ${count} times in ${input.path}; it must match exactly once (add surrounding context)`);
      const index = content.indexOf(input.old_string);
      const updated = content.slice(0, index) + input.new_string + content.slice(index + input.old_string.length);
      await ws.write(input.path, updated);
      return ok(`edited ${input.path}`);
    }
    case "list_files": {
      const input = inputs.list_files.parse(raw);
      const { entries, truncated } = await ws.list(input.path);
      const lines = entries.map((e) => (e.type === "dir" ? `${e.path}/` : `${e.path} (${e.size} bytes)`));
      if (truncated) lines.push("[listing truncated]");
      return ok(lines.length ? capText(lines.join("\n")) : "(empty)");
    }
    case "grep": {
      const input = inputs.grep.parse(raw);
      const { matches, truncated } = await ws.search(input.pattern, input.path);
      const lines = matches.map((m) => `${m.path}:${m.line}: ${m.text}`);
      if (truncated) lines.push("[matches truncated]");
      return ok(lines.length ? capText(lines.join("\n")) : "no matches");
    }
    case "bash": {
      const input = inputs.bash.parse(raw);
      const result = await ws.exec(input.command, { timeoutMs: input.timeout_ms ?? defaultTimeoutMs, signal });
      const note = result.timedOut ? `\n[timed out after ${input.timeout_ms ?? defaultTimeoutMs} ms]` : "";
      return { output: result.output + note, isError: result.exitCode !== 0, exitCode: result.exitCode };
    }
  }
}

/**
 * Runs one tool call against the workspace. Unknown tools, invalid input and workspace
 * errors come back as an error outcome (never thrown), so the loop can hand them to the model.
 * @param defaultTimeoutMs bash timeout when the call gives none (ms).
 * @param signal aborting it stops a running command (a cancelled task).
 */
export async function runWorkspaceTool(
  toolName: string,
  input: unknown,
  ws: Workspace,
  defaultTimeoutMs: number,
  signal?: AbortSignal,
): Promise<ToolOutcome> {
  if (!(toolName in inputs)) return fail(`unknown tool "${toolName}"; available: ${Object.keys(inputs).join(", ")}`);
  try {
    return await run(toolName as WorkspaceToolName, input, ws, defaultTimeoutMs, signal);
  } catch (error) {
    if (error instanceof z.ZodError) return fail(`invalid input for ${toolName}: ${z.prettifyError(error)}`);
    return fail(describeError(error));
  }
}
