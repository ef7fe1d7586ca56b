/**
 * Who the tech lead is in the chat: the author name it posts under, and when a person's message
 * is addressed to it. Pure.
 */
import type { SessionKind } from "../../shared/protocol.ts";

/** The name the tech lead speaks under in the chat (its replies and the project's notices). */
export const TECH_LEAD_AUTHOR = "tech lead";

/** Whether `text` addresses the tech lead: `@lead` (any case) at the start or after whitespace, as a whole word. */
export function mentionsLead(text: string): boolean {
  return /(^|\s)@lead\b/i.test(text);
}

/** Whether the tech lead answers a person's `text` in a session of `kind`: every message of a `tech-lead` session, and a `chat` message that mentions it. */
export function leadAnswers(kind: SessionKind, text: string): boolean {
  return kind === "tech-lead" || mentionsLead(text);
}
