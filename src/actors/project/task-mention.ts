/**
 * How a chat message answers a task's question: `@tsk_<ULID>` (the id as a word) followed by the
 * answer. Pure; the actor checks that the task is this project's and is waiting.
 */
import { taskIdSchema } from "../../ids.ts";

/**
 * The first task a message mentions (`@tsk_…` at the start or after whitespace, a valid task id)
 * and the answer it gives: the text without that mention, trimmed; the whole text when nothing
 * else remains. Null when the message mentions no task.
 */
export function taskMention(text: string): { taskId: string; answer: string } | null {
  const taskId = /(?:^|\s)@(tsk_[0-9A-HJKMNP-TV-Z]{26})\b/.exec(text)?.[1];
  if (!taskId || !taskIdSchema.safeParse(taskId).success) return null;
  return { taskId, answer: text.replace(`@${taskId}`, "").trim() || text };
}
