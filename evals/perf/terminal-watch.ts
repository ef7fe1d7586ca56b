/**
 * Waiting for a task or mission to end, as a benchmark times it: the end is the moment this
 * process receives the terminal frame on the project's WebSocket (the caller's frame handler
 * fills `terminal` and calls the waiter), with a once-a-second poll of the entity's view as the
 * fallback in case a frame is lost (recording the poll's time).
 */
import { call, type Stack } from "../../test/e2e/stack.ts";
import { withTimeout } from "./stats.ts";

/** When (performance.now() ms) and how each watched entity ended, and who waits for which. */
export interface TerminalWatch {
  stack: Stack;
  terminal: Map<string, { at: number; status: string }>;
  waiters: Map<string, () => void>;
}

/**
 * Resolves with the end of `id` (time in performance.now() ms, status) once it is terminal.
 * @param viewPath the API path of its view (`/api/tasks/<id>`, `/api/missions/<id>`), for the poll.
 * @throws after `timeoutMs` (labelled `label`).
 */
export async function awaitTerminal(
  watch: TerminalWatch,
  id: string,
  viewPath: string,
  isTerminal: (status: string) => boolean,
  timeoutMs: number,
  label: string,
): Promise<{ at: number; status: string }> {
  let poll: NodeJS.Timeout | undefined;
  try {
    await withTimeout(
      new Promise<void>((resolveEnd) => {
        if (watch.terminal.has(id)) return resolveEnd();
        watch.waiters.set(id, resolveEnd);
        poll = setInterval(() => {
          void call<{ status: string }>(watch.stack, viewPath).then((view) => {
            if (isTerminal(view.status) && !watch.terminal.has(id)) {
              watch.terminal.set(id, { at: performance.now(), status: view.status });
              resolveEnd();
            }
          }, () => undefined);
        }, 1000);
      }),
      timeoutMs,
      label,
    );
  } finally {
    clearInterval(poll);
    watch.waiters.delete(id);
  }
  return watch.terminal.get(id)!;
}
