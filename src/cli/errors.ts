/**
 * The CLI's one error type: a message meant for a person (one line on stderr) and the exit
 * code (1: the thing failed; 2: the command was used wrongly).
 */

/** An error the CLI reports as `sam: <message>` and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}
