/**
 * How much a task's transcript may hold, and how much of it one page returns, as pure rules (no
 * storage, no actor). The journal (journal.ts) applies them; the loop turns a full transcript
 * into the task's failure `transcript_limit`.
 */
import type { NewTranscriptEvent } from "../../shared/protocol.ts";

/**
 * Most bytes (UTF-8, of the events as stored in the `transcript` table) a task's transcript may
 * hold: 16 MiB. A tool result is stored capped at 64 Ki characters (MAX_STORED_OUTPUT_CHARS), so
 * this holds at least 256 full-size outputs, several times what the largest context window in the
 * catalog (about 1M tokens, 4 MB of conversation at 4 characters per token) lets a model read back;
 * no real task comes near it. It bounds a task's state: the conversation holds about as much
 * again, so a task stores about 32 MiB at most, and its whole transcript reads in a few pages of
 * MAX_TRANSCRIPT_PAGE_BYTES. (Before it, a script of many large outputs stored a 25 MB transcript.)
 */
export const MAX_TRANSCRIPT_BYTES = 16 * 1024 * 1024;

/**
 * Bytes after which a transcript page stops early (`GET /api/tasks/:taskId/transcript`,
 * `TaskJournal.events`): 4 MiB, so one response stays small enough for a browser and for an RPC
 * between actors whatever `limit` asked for. A page always holds at least one event (see
 * `pageTakes`); the client continues with `after` = the last seq it received.
 */
export const MAX_TRANSCRIPT_PAGE_BYTES = 4 * 1024 * 1024;

/** Length of `text` in UTF-8 bytes (what SQLite stores), counted without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: one code point of 4 bytes.
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Whether `event` is refused once the transcript is full. Everything the task or a sender can
 * repeat without bound is: model steps, tool calls and results, messages sent to the task.
 * Status changes (one per transition, and the failure itself must be journaled), check-ins (at
 * most one per silence period) and answers (at most one per question, and each question is a
 * model step) are always journaled, so the transcript passes the cap only by those few events.
 */
export function isCappedEvent(event: NewTranscriptEvent): boolean {
  if (event.type === "status") return false;
  if (event.type === "message") return event.kind === "message";
  return true;
}

/** The failure message of a task whose transcript is full (code `transcript_limit`). */
export function transcriptLimitMessage(maxBytes: number): string {
  return `transcript limit reached: a task's transcript may hold at most ${maxBytes / (1024 * 1024)} MiB (${maxBytes} bytes) of events`;
}

/**
 * Thrown by the journal for an event that would take the transcript past `maxBytes` (see
 * `isCappedEvent`); nothing of the transaction it was thrown in is stored. The loop ends the task
 * with code `transcript_limit`; a message sent to the task is refused.
 */
export class TranscriptLimitError extends Error {
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(transcriptLimitMessage(maxBytes));
    this.name = "TranscriptLimitError";
    this.maxBytes = maxBytes;
  }
}

/**
 * Whether a transcript page that holds `count` events of `bytes` bytes so far takes the next
 * event, of `size` bytes: always when the page is empty (a page holds at least one event, so a
 * client paging with `after` always moves on), else only while the page stays within `maxBytes`.
 */
export function pageTakes(count: number, bytes: number, size: number, maxBytes: number): boolean {
  return count === 0 || bytes + size <= maxBytes;
}
