/**
 * The tech lead's model conversation per chat session (`lead_conversation`): the user messages
 * it was given and the model messages it produced, tool calls and results included, numbered
 * from 0. A turn reads it whole and appends to it; the chat messages people see are stored
 * apart (project/chat-store.ts).
 */
import type { ModelMessage } from "ai";

/** The session's lead conversation, in order. */
export function readConversation(sql: SqlStorage, sessionId: string): ModelMessage[] {
  return sql
    .exec<{ message: string }>(`SELECT message FROM lead_conversation WHERE session_id = ? ORDER BY idx`, sessionId)
    .toArray()
    .map((r) => JSON.parse(r.message) as ModelMessage);
}

/** Appends `messages` to the session's conversation, numbered from `firstIdx` (its length when read), in one transaction. */
export function appendConversation(storage: DurableObjectStorage, sessionId: string, firstIdx: number, messages: readonly ModelMessage[]): void {
  storage.transactionSync(() => {
    let idx = firstIdx;
    for (const message of messages) {
      storage.sql.exec(`INSERT INTO lead_conversation (session_id, idx, message) VALUES (?, ?, ?)`, sessionId, idx++, JSON.stringify(message));
    }
  });
}
