/**
 * Running the speech programs (espeak-ng, pocketsphinx, sox) as child processes: an argument
 * array (never a shell), input on stdin, a wall-clock timeout after which the process is
 * killed, bounded output, and a minimal environment (no SAM secrets reach them).
 */
import { spawn } from "node:child_process";

/** What {@link runProcess} is asked to do. */
export interface ProcessRequest {
  /** The program (looked up on PATH) and its arguments, passed as they are (no shell). */
  command: string;
  args: readonly string[];
  /** Written to the program's stdin, which is then closed (default: nothing, closed at once). */
  input?: string | Uint8Array;
  /** Killed (SIGKILL) after this many ms of wall clock. */
  timeoutMs: number;
  /** Most bytes of stdout kept; more fails the run (default 64 MiB). */
  maxOutputBytes?: number;
  /** Working directory (default: the service's own). */
  cwd?: string;
  /** Aborting kills the process (the request was cancelled). */
  signal?: AbortSignal;
}

/** How a run ended. */
export interface ProcessResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Everything written to stdout (at most `maxOutputBytes`). */
  stdout: Buffer;
  /** The last 4 KiB of stderr, as text. */
  stderr: string;
  /** True when the timeout killed it. */
  timedOut: boolean;
  /** True when stdout went over `maxOutputBytes` (and the process was killed). */
  overflow: boolean;
  /** True when `signal` aborted it. */
  aborted: boolean;
  /** Wall-clock run time in ms. */
  elapsedMs: number;
}

const STDERR_KEEP = 4096;

/**
 * Runs one program to its end. Resolves with {@link ProcessResult} whatever the exit; rejects
 * only when it cannot be started at all (e.g. `ENOENT`: not installed).
 */
export function runProcess(request: ProcessRequest): Promise<ProcessResult> {
  const maxOutput = request.maxOutputBytes ?? 64 * 1024 * 1024;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(request.command, [...request.args], {
      cwd: request.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" },
      shell: false,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    let timedOut = false;
    let overflow = false;
    let aborted = false;
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, request.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    request.signal?.addEventListener("abort", onAbort, { once: true });
    if (request.signal?.aborted) onAbort();

    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutput) {
        overflow = true;
        kill();
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
    });
    // A program that exits before reading all its input makes the write fail with EPIPE: its exit says what happened.
    child.stdin.on("error", () => {});
    child.on("error", (error) => {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      resolve({ code, stdout: Buffer.concat(chunks), stderr, timedOut, overflow, aborted, elapsedMs: Date.now() - started });
    });
    if (request.input !== undefined) child.stdin.end(request.input);
    else child.stdin.end();
  });
}
