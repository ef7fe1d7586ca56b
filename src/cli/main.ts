/**
 * The `sam` CLI: SAM from a terminal, over its HTTP and WebSocket API only (it never imports an
 * actor). `runCli(argv, io)` parses the command line with commander, runs the command and
 * returns the exit code: 0 done, 1 the thing failed (a task that failed, an API error, an
 * unreachable server: one line on stderr, never a stack trace), 2 the command was used wrongly
 * (an unknown flag, a missing argument, a bad value).
 */
import { Command, CommanderError } from "commander";
import { registerAuth } from "./commands/auth.ts";
import { registerChat } from "./commands/chat.ts";
import { registerMissions } from "./commands/missions.ts";
import { registerProjects } from "./commands/projects.ts";
import { registerTasks } from "./commands/tasks.ts";
import { registerUsage } from "./commands/usage.ts";
import { CliContext, type CliIo, type GlobalOptions } from "./context.ts";
import { CliError } from "./errors.ts";

/** The CLI's version (the package's). */
export const CLI_VERSION = "0.1.0";

/** Builds the program; `setExitCode` records a command's own exit code (e.g. a failed task's 1). */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name("sam")
    .description("SAM from a terminal: log in, start and follow tasks and missions, chat with a project")
    .version(CLI_VERSION)
    .option("--json", "machine output: JSON on stdout, no colour, no spinners")
    .option("--url <url>", "SAM's address (default: the saved login's, or SAM_API_URL)")
    .option("--project <projectId>", "the project (default: SAM_PROJECT)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });
  const context = (command: Command) => new CliContext(io, command.optsWithGlobals<GlobalOptions>());
  registerAuth(program, context);
  registerProjects(program, context);
  registerTasks(program, context, setExitCode);
  registerMissions(program, context, setExitCode);
  registerChat(program, context);
  registerUsage(program, context);
  // Every command is strict about what it takes, and exits 2 with one line for anything else.
  for (const command of allCommands(program)) command.exitOverride().allowExcessArguments(false);
  return program;
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** Runs the CLI with `argv` (without `node` and the script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed its one-line message (and the hint) on stderr.
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return 0;
      return 2;
    }
    if (error instanceof CliError) {
      io.stderr.write(`sam: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`sam: unexpected error: ${message}\n`);
    if (io.env.SAM_DEBUG) io.stderr.write(`${error instanceof Error ? error.stack : ""}\n`);
    return 1;
  }
}
