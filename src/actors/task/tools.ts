/**
 * Runs one tool call of the task's model: a platform tool (`dispatch_task`, `wait_for_tasks`,
 * `ask_human`, which change the task's own state) through the children and attention modules,
 * a tool of the project's MCP servers (`mcp__<server>__<tool>`) through mcp.ts, any other
 * through the workspace tools. A `bash` command that a sandbox limit stopped may move the task
 * to a VM and run again there (automatic escalation, issue 16; escalation.ts).
 */
import { z } from "zod";
import type { RequestedToolCall } from "../../models/step.ts";
import { EXEC_DEFAULT_TIMEOUT_MS, type Workspace } from "../../sandbox/workspace.ts";
import { isMcpToolName } from "../../tools/mcp-client-tools.ts";
import { isPlatformTool, platformToolInputs } from "../../tools/task-platform-tools.ts";
import { runWorkspaceTool, type ToolOutcome } from "../../tools/workspace-tools.ts";
import type { TaskAttention } from "./attention.ts";
import type { TaskChildren } from "./children.ts";
import type { VmNeeds } from "./escalation-rules.ts";

/** Where a task's tool calls run. */
export interface TaskToolHosts {
  workspace: Workspace;
  children: TaskChildren;
  attention: TaskAttention;
  /** The project's MCP servers' tools (mcp.ts `TaskMcpTools.run`; never throws). */
  mcp: { run(call: RequestedToolCall, signal: AbortSignal): Promise<ToolOutcome> };
  /** `request_vm` (escalation.ts `TaskEscalation.request` with the workspace it moves from; never throws). */
  escalation: {
    request(input: { reason: string; needs: VmNeeds }, signal: AbortSignal): Promise<ToolOutcome>;
    /**
     * A `bash` outcome in the sandbox, checked for a sandbox limit a VM lifts (escalation.ts
     * `TaskEscalation.afterSandboxCommand`): returned as is, or the command's run again on the VM
     * the task moved to (`rerun`, with a timeout in ms or null for the call's own), or with why
     * it could not move. Never throws.
     */
    afterCommand?(outcome: ToolOutcome, ownTimeout: boolean, rerun: (timeoutMs: number | null) => Promise<ToolOutcome>, signal: AbortSignal): Promise<ToolOutcome>;
  };
}

/**
 * Runs `call`; returns its outcome, or "wait" when it made the task wait (children or a
 * person). Never throws: invalid input and failures become error outcomes for the model.
 * `signal` aborts a running command (a cancelled task); bash runs EXEC_DEFAULT_TIMEOUT_MS at most
 * unless the call asks otherwise.
 */
export async function runTaskTool(call: RequestedToolCall, signal: AbortSignal, hosts: TaskToolHosts): Promise<ToolOutcome | "wait"> {
  if (isMcpToolName(call.toolName)) return hosts.mcp.run(call, signal);
  if (!isPlatformTool(call.toolName)) {
    const outcome = await runWorkspaceTool(call.toolName, call.input, hosts.workspace, EXEC_DEFAULT_TIMEOUT_MS, signal);
    // A command stopped by a sandbox limit did not finish: it may move the task to a VM and run there (escalation.ts).
    if (call.toolName !== "bash" || !outcome.isError || !hosts.escalation.afterCommand) return outcome;
    const ownTimeout = typeof (call.input as { timeout_ms?: unknown } | null)?.timeout_ms === "number";
    const rerun = (timeoutMs: number | null) => runWorkspaceTool(call.toolName, call.input, hosts.workspace, timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS, signal);
    return hosts.escalation.afterCommand(outcome, ownTimeout, rerun, signal);
  }
  try {
    switch (call.toolName) {
      case "dispatch_task":
        return await hosts.children.dispatch(call.toolCallId, platformToolInputs.dispatch_task.parse(call.input));
      case "wait_for_tasks":
        return await hosts.children.wait(platformToolInputs.wait_for_tasks.parse(call.input).task_ids);
      case "ask_human":
        return await hosts.attention.ask(call.toolCallId, platformToolInputs.ask_human.parse(call.input).question);
      case "request_vm":
        return await hosts.escalation.request(platformToolInputs.request_vm.parse(call.input), signal);
    }
  } catch (error) {
    const message = error instanceof z.ZodError ? `invalid input for ${call.toolName}: ${z.prettifyError(error)}` : String(error);
    return { output: message, isError: true, exitCode: null };
  }
}
