/**
 * What every command gets: how to print (human lines or `--json`), the API of the target SAM and
 * the project it works on. Built once per run from the global options.
 */
import { SamApi } from "./api.ts";
import { resolveTarget, type Target } from "./config.ts";
import { CliError } from "./errors.ts";

/** The global options (commander's `optsWithGlobals()`). */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
  project?: string;
}

/** Where the CLI writes and reads (a test or the process's own streams). */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** A command's context. */
export class CliContext {
  readonly io: CliIo;
  readonly options: GlobalOptions;
  constructor(io: CliIo, options: GlobalOptions) {
    this.io = io;
    this.options = options;
  }

  /** Whether output is JSON (`--json`): no colour, no spinners, one JSON document on stdout. */
  get json(): boolean {
    return this.options.json === true;
  }

  /** Whether to draw live progress (a terminal, not `--json`). */
  get interactive(): boolean {
    return !this.json && this.io.stdout.isTTY === true;
  }

  /** The target (URL and token). @throws CliError when not logged in. */
  target(): Target {
    return resolveTarget(this.options.url, this.io.env);
  }

  /** The API of the target, authenticated. @throws CliError when not logged in. */
  api(): SamApi {
    const target = this.target();
    return new SamApi(target.url, target.token);
  }

  /** The project from `--project` or `SAM_PROJECT`. @throws CliError (exit 2) when neither is set. */
  projectId(): string {
    const project = this.options.project ?? this.io.env.SAM_PROJECT;
    if (!project) throw new CliError("no project: pass --project prj_... or set SAM_PROJECT", 2);
    return project;
  }

  /** Prints `data` as JSON with `--json`, else the human `lines`. */
  print(lines: string | string[], data: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else for (const line of Array.isArray(lines) ? lines : [lines]) this.io.stdout.write(`${line}\n`);
  }

  /** Prints a human progress line (never in `--json` mode), on stderr so stdout stays the result. */
  progress(line: string): void {
    if (!this.json) this.io.stderr.write(`${line}\n`);
  }
}
