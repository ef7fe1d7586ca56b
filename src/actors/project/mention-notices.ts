/**
 * Notifying the people a chat message mentions (`@name`, the rule in mentions.ts): the project's
 * members are read from D1 (active accounts only), each one mentioned other than the author gets
 * a `chat.mention` notification. Never throws: the message is stored whatever happens here.
 */
import type { ChatMessage } from "../../shared/protocol.ts";
import { mentionNotice } from "../user/notices.ts";
import { notifyUser } from "../user/notify.ts";
import { mayMention, mentionedMembers, type MentionableMember } from "./mentions.ts";

/** Notifies the members of `projectId` that `message` (in `sessionId`, by `author`) mentions. Returns how many were notified. */
export async function notifyMentions(env: Env, project: { id: string; name: string }, sessionId: string, message: ChatMessage, author: { id: string; name: string }): Promise<number> {
  if (!mayMention(message.text)) return 0;
  try {
    const { results } = await env.DB.prepare(
      `SELECT u.id AS id, u.name AS name FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ? AND u.status = 'active'`,
    )
      .bind(project.id)
      .all<MentionableMember>();
    const mentioned = mentionedMembers(message.text, results, author.id);
    const notice = mentionNotice({ projectId: project.id, projectName: project.name, sessionId, messageId: message.id, authorName: author.name, text: message.text });
    await Promise.all(mentioned.map((member) => notifyUser(env, member.id, notice)));
    return mentioned.length;
  } catch (error) {
    console.error(`project ${project.id}: notifying the mentions of ${message.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    return 0;
  }
}
