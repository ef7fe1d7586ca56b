/**
 * `sam tasks submit|status|logs|cancel|answer`. `submit --wait` follows the task live (steps,
 * the current tool call, cost) and exits 0 when it succeeded, 1 when it failed or was cancelled.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { spinner } from "@clack/prompts";
import { scriptSchema } from "../../shared/script.ts";
import type { TaskView } from "../../shared/protocol.ts";
import type { CliContext } from "../context.ts";
import { CliError } from "../errors.ts";
import { formatEvent, taskLine, taskOutcome, toolInput, usd } from "../format.ts";
import { followTask, transcriptAfter } from "../watch.ts";

/** Reads and validates a scripted model's script (a JSON array of steps). @throws CliError (exit 2) */
export function readScript(path: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`--script-file ${path}: ${error instanceof Error ? error.message : String(error)}`, 2);
  }
  const script = scriptSchema.safeParse(json);
  if (!script.success) throw new CliError(`--script-file ${path} is not a script: ${script.error.issues[0]?.message ?? "invalid"}`, 2);
  return script.data;
}

/** `--file PATH=LOCAL` values as the workspace's seed files `{path: content}`. @throws CliError (exit 2) */
export function readSeedFiles(values: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0 || at === value.length - 1) throw new CliError(`--file takes PATH=LOCAL (the workspace path, then a local file): ${value}`, 2);
    const local = value.slice(at + 1);
    try {
      files[value.slice(0, at)] = readFileSync(local, "utf8");
    } catch (error) {
      throw new CliError(`--file ${value}: cannot read ${local} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, 2);
    }
  }
  return files;
}

/** Exit code for a finished task: 0 succeeded, 1 otherwise. */
export function taskExitCode(task: TaskView): 0 | 1 {
  return task.status === "succeeded" ? 0 : 1;
}

/**
 * Follows `taskId` to its end for `--wait`: a spinner with the current step, tool call and cost
 * on a terminal, progress lines on stderr otherwise, nothing in `--json` mode. Returns the exit code.
 */
export async function waitForTask(ctx: CliContext, taskId: string): Promise<0 | 1> {
  const api = ctx.api();
  const progress = ctx.interactive ? spinner({ output: ctx.io.stderr as NodeJS.WriteStream }) : null;
  progress?.start(`${taskId} starting`);
  let current = "";
  let lastLine = "";
  const task = await followTask(
    api,
    taskId,
    {
      onEvent: (event) => {
        if (event.type === "tool_call") current = `→ ${event.toolName} ${toolInput(event.input)}`;
        if (event.type === "tool_result") current = "";
        if (!progress) for (const line of formatEvent(event)) ctx.progress(line);
      },
      onView: (view) => {
        const line = `${view.status} · step ${view.steps} · ${usd(view.usage.costUsd)}${current ? ` · ${current}` : ""}`;
        if (progress && line !== lastLine) progress.message(line);
        lastLine = line;
      },
    },
    { events: true },
  );
  if (progress) {
    if (task.status === "succeeded") progress.stop(taskLine(task));
    else progress.error(taskLine(task));
  }
  ctx.print(taskOutcome(task), task);
  return taskExitCode(task);
}

/** Registers `tasks` on `program`; `setExitCode` records the run's exit code. */
export function registerTasks(program: Command, context: (command: Command) => CliContext, setExitCode: (code: number) => void): void {
  const tasks = program.command("tasks").description("submit, follow, answer and cancel tasks");

  tasks
    .command("submit")
    .description("start a task in the project")
    .requiredOption("--prompt <text>", "what the agent should do")
    .option("--model <id>", "the model (see GET /api/models; default: scripted)")
    .option("--script-file <file>", "for the scripted model: a JSON array of steps")
    .option("--file <path=local>", "seed the workspace with a local file (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option("--max-steps <n>", "the step limit", (value: string) => positiveInt(value, "--max-steps"))
    .option("--budget-usd <usd>", "the task's USD budget", (value: string) => positiveNumber(value, "--budget-usd"))
    .option("--wait", "follow it live and exit 0 when it succeeded, 1 when it failed or was cancelled")
    .action(async (options: { prompt: string; model?: string; scriptFile?: string; file: string[]; maxSteps?: number; budgetUsd?: number; wait?: boolean }, command: Command) => {
      const ctx = context(command);
      const body: Record<string, unknown> = { prompt: options.prompt };
      if (options.model) body.model = options.model;
      if (options.scriptFile) body.script = readScript(options.scriptFile);
      if (options.file.length > 0) body.workspace = { files: readSeedFiles(options.file) };
      if (options.maxSteps !== undefined) body.maxSteps = options.maxSteps;
      if (options.budgetUsd !== undefined) body.budgetUsd = options.budgetUsd;
      const created = await ctx.api().post<{ id: string; status: string }>(`/api/projects/${encodeURIComponent(ctx.projectId())}/tasks`, body);
      if (!options.wait) {
        ctx.print(`${created.id} ${created.status}`, created);
        return;
      }
      ctx.progress(`${created.id} submitted`);
      setExitCode(await waitForTask(ctx, created.id));
    });

  tasks
    .command("status")
    .description("a task's state, summary and changed files")
    .argument("<taskId>")
    .action(async (taskId: string, _o: unknown, command: Command) => {
      const ctx = context(command);
      const task = await ctx.api().get<TaskView>(`/api/tasks/${encodeURIComponent(taskId)}`);
      ctx.print(taskOutcome(task), task);
    });

  tasks
    .command("logs")
    .description("the task's transcript: steps, tool calls and their results")
    .argument("<taskId>")
    .option("--follow", "keep showing new events until the task ends")
    .action(async (taskId: string, options: { follow?: boolean }, command: Command) => {
      const ctx = context(command);
      const api = ctx.api();
      const events: unknown[] = [];
      const show = (event: Parameters<typeof formatEvent>[0]) => {
        if (ctx.json) events.push(event);
        else for (const line of formatEvent(event)) ctx.io.stdout.write(`${line}\n`);
      };
      if (options.follow) {
        const task = await followTask(api, taskId, { onEvent: show }, { events: true });
        if (ctx.json) ctx.print([], { task, events });
        else ctx.io.stdout.write(`${taskLine(task)}\n`);
        return;
      }
      for (const event of await transcriptAfter(api, taskId, 0)) show(event);
      if (ctx.json) ctx.print([], { events });
    });

  tasks
    .command("cancel")
    .description("cancel a task (and its child tasks)")
    .argument("<taskId>")
    .action(async (taskId: string, _o: unknown, command: Command) => {
      const ctx = context(command);
      const task = await ctx.api().post<TaskView>(`/api/tasks/${encodeURIComponent(taskId)}/cancel`);
      ctx.print(taskLine(task), task);
    });

  tasks
    .command("answer")
    .description("answer the question a task waits on")
    .argument("<taskId>")
    .argument("<text>", "the answer")
    .action(async (taskId: string, text: string, _o: unknown, command: Command) => {
      const ctx = context(command);
      const task = await ctx.api().post<TaskView>(`/api/tasks/${encodeURIComponent(taskId)}/answer`, { text });
      ctx.print(taskLine(task), task);
    });
}

/** Parses a positive integer flag. @throws CliError (exit 2) */
export function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliError(`${flag} takes a positive whole number, not ${value}`, 2);
  return n;
}

/** Parses a non-negative number flag. @throws CliError (exit 2) */
export function positiveNumber(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CliError(`${flag} takes a number ≥ 0, not ${value}`, 2);
  return n;
}
