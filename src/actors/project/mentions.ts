/**
 * Who a chat message mentions (pure). The rule: `@` followed by a member's handle, where a
 * person's handle is their name in lower case with everything but letters, digits, `.`, `_` and
 * `-` removed: "Ada Lovelace" is `@adalovelace`, written in any case (`@AdaLovelace`). The `@`
 * must start the text or follow a character that cannot be part of a handle (so an e-mail address,
 * `ada@example.com`, mentions no one); a trailing `.`, `_` or `-` (the end of a sentence) is not
 * part of the handle. `@lead` is the tech lead (tech-lead/mention.ts), never a person; `@tsk_...`
 * answers a task (task-mention.ts) and matches no member.
 */

/** What a member is to the mention rule: their id and display name. */
export interface MentionableMember {
  id: string;
  name: string;
}

/** Handles that never name a person: the tech lead. */
const RESERVED_HANDLES = new Set(["lead"]);

/** Letters, digits, `.`, `_`, `-` (Unicode letters and digits included). */
const HANDLE_CHAR = /[\p{L}\p{N}._-]/u;

/** A person's handle: their name in lower case with every character but letters, digits, `.`, `_`, `-` removed, and none of those three at the end ("" for a name without any). */
export function handleOf(name: string): string {
  return [...name.toLowerCase()]
    .filter((c) => HANDLE_CHAR.test(c))
    .join("")
    .replace(/[._-]+$/u, "");
}

/** The distinct handles `text` mentions, in lower case, in order of first appearance (`@lead` and reserved handles left out). */
export function mentionedHandles(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(^|[^\p{L}\p{N}._@-])@([\p{L}\p{N}._-]+)/gu)) {
    const handle = match[2].replace(/[._-]+$/u, "").toLowerCase();
    if (handle && !RESERVED_HANDLES.has(handle) && !found.includes(handle)) found.push(handle);
  }
  return found;
}

/** Whether `text` may mention anyone (a cheap test before the members are looked up). */
export function mayMention(text: string): boolean {
  return mentionedHandles(text).length > 0;
}

/**
 * The members `text` mentions (each once, in `members`' order), never `authorId` (writing your
 * own name is no news) and never a member whose handle is empty or reserved.
 */
export function mentionedMembers(text: string, members: readonly MentionableMember[], authorId: string): MentionableMember[] {
  const handles = new Set(mentionedHandles(text));
  if (handles.size === 0) return [];
  const seen = new Set<string>();
  return members.filter((member) => {
    const handle = handleOf(member.name);
    if (member.id === authorId || seen.has(member.id) || !handle || RESERVED_HANDLES.has(handle) || !handles.has(handle)) return false;
    seen.add(member.id);
    return true;
  });
}
