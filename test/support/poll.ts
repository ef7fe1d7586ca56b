/**
 * The one polling wait of the test suites. Plain TypeScript with no `node:` import, so the Node
 * tests, the end-to-end tests and the tests running inside workerd all share it.
 *
 * A wait reads a value over and over until a condition holds and returns that value; at its
 * deadline it throws an error naming what it waited for and the last value it saw. It never
 * returns quietly at its deadline, so a test cannot carry on with a state it did not wait for.
 */

/** How long to wait, how often to look, and what to report of the value `T` read last. */
export interface PollOptions<T = unknown> {
  /** Give up (throw) after this many ms. Default 10_000. */
  timeoutMs?: number;
  /** Pause between two reads, in ms. Default 50. */
  intervalMs?: number;
  /** What to print of the last value in the timeout error (default: the value itself as JSON). */
  show?: (value: T) => unknown;
}

/** Default deadline of a wait, in ms. */
export const DEFAULT_POLL_TIMEOUT_MS = 10_000;
/** Default pause between two reads, in ms. */
export const DEFAULT_POLL_INTERVAL_MS = 50;
/** The timeout error quotes at most this many characters of the last value. */
const MAX_SHOWN_CHARS = 2_000;

/** A value as text for an error message: JSON (cut at {@link MAX_SHOWN_CHARS}), else `String()`. */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = value instanceof Error ? `${value.name}: ${value.message}` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}… (${text.length} chars)` : text;
}

/**
 * Calls `read` until `done(value)` holds and returns that value (typed by `done` when it is a
 * type guard). `what` names the condition for the error message. Errors thrown by `read` or
 * `done` propagate at once (a failed API call is a failure, not a reason to wait).
 * Throws `Error("timed out after <timeoutMs> ms waiting for <what>; last saw: <value>")` when the
 * deadline passes first; `read` runs at least once, and once more after the deadline is reached.
 */
export async function pollUntil<T, U extends T>(what: string, read: () => T | Promise<T>, done: (value: T) => value is U, options?: PollOptions<T>): Promise<U>;
export async function pollUntil<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, options?: PollOptions<T>): Promise<T>;
export async function pollUntil<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, options: PollOptions<T> = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pastDeadline = Date.now() >= deadline;
    const value = await read();
    if (done(value)) return value;
    if (pastDeadline) {
      const shown = options.show ? options.show(value) : value;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last saw: ${describeValue(shown)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until `check()` holds, for conditions on state the test already holds (frames collected
 * by a socket, a counter). `show()` is what the timeout error reports as last seen. Same
 * deadline rules as {@link pollUntil}; returns nothing.
 */
export async function waitUntil(what: string, check: () => boolean, show: () => unknown, options: Omit<PollOptions, "show"> = {}): Promise<void> {
  await pollUntil(what, check, (ok) => ok, { ...options, show: () => show() });
}
