/**
 * When a person's message is addressed to the tech lead. Pure. (The tech lead's author in the
 * chat is `TECH_LEAD_AUTHOR` of src/shared/protocol.ts.)
 */
import type { SessionKind } from "../../shared/protocol.ts";

/** Whether `text` addresses the tech lead: `@lead` (any case) at the start or after whitespace, as a whole word. */
export function mentionsLead(text: string): boolean {
  return /(^|\s)@lead\b/i.test(text);
}

/** Whether the tech lead answers a person's `text` in a session of `kind`: every message of a `tech-lead` or `voice` session, and a `chat` message that mentions it. */
export function leadAnswers(kind: SessionKind, text: string): boolean {
  return kind === "tech-lead" || kind === "voice" || mentionsLead(text);
}
