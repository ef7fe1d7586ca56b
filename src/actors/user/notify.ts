/**
 * How another actor raises a notification for a user: `UserAgent.notify` through the user's
 * stub, never throwing (a notification is news about work that already happened; its failure is
 * logged and the work goes on). Producers pass a `dedupeKey`, so calling again after a crash
 * stores one notification.
 */
import { userAgentStub } from "../../models/user-actor.ts";
import type { NewNotification } from "../../shared/notification.ts";

/** Raises `notice` for `userId` (nothing for an empty id: a view stored before its starter was recorded). Resolves when stored; logs a failure. */
export async function notifyUser(env: Env, userId: string, notice: NewNotification): Promise<void> {
  if (!userId) return;
  try {
    await (await userAgentStub(env, userId)).notify(notice);
  } catch (error) {
    console.error(`notifying ${userId} of ${notice.kind} (${notice.subjectId ?? "-"}) failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
