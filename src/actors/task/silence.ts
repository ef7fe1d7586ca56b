/**
 * The silence rule (issue 3), as a pure function: a running task that made no progress for the
 * project's `silenceMs` gets one check-in (a message asking it to report); if it stays silent
 * for `silenceMs` more, it fails with code `silence`.
 */

/** What the silence check does now. Times are epoch ms. */
export type SilenceDecision =
  /** Not silent long enough: check again at `atMs`. */
  | { kind: "rearm"; atMs: number }
  /** Silent once: send `text` as a check-in and check again at `nextAtMs`. */
  | { kind: "check_in"; text: string; nextAtMs: number }
  /** Silent after a check-in: fail the task with `reason`. */
  | { kind: "fail"; reason: string };

/**
 * Decides the silence check.
 * @param nowMs the time now, epoch ms.
 * @param lastActivityAtMs the last progress, epoch ms (the later of the stored and the in-memory one).
 * @param checkedInAtMs when the check-in since that progress was sent (epoch ms), or null.
 * @param silenceMs the project's limit, ms.
 */
export function decideSilence(nowMs: number, lastActivityAtMs: number, checkedInAtMs: number | null, silenceMs: number): SilenceDecision {
  const quietForMs = nowMs - lastActivityAtMs;
  if (quietForMs < silenceMs) return { kind: "rearm", atMs: lastActivityAtMs + silenceMs };
  const quietForS = Math.round(quietForMs / 1000);
  if (checkedInAtMs === null) {
    return {
      kind: "check_in",
      text: `Check-in: no progress for ${quietForS} s. Report what you are doing and continue, or finish with a summary.`,
      nextAtMs: nowMs + silenceMs,
    };
  }
  if (nowMs - checkedInAtMs < silenceMs) return { kind: "rearm", atMs: checkedInAtMs + silenceMs };
  return { kind: "fail", reason: `no progress for ${quietForS} s, and none after a check-in` };
}
