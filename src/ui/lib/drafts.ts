/**
 * Streaming replies of the tech lead: `chat.delta` frames grow a draft's text, `chat.card`
 * frames add tool cards to it, and the stored `chat.message` carrying the same `draftId`
 * replaces it. Pure helpers over a list of drafts, in arrival order.
 */
import type { ChatAuthor, ChatMessage, ToolCard } from "../../shared/protocol.ts";

/** A reply being written: what has streamed so far. */
export type Draft = { draftId: string; sessionId: string; author: ChatAuthor; text: string; cards: ToolCard[] };

/** Adds `delta` to the draft `draftId` (creating it on its first piece). */
export function applyDelta(drafts: readonly Draft[], piece: { sessionId: string; draftId: string; author: ChatAuthor; delta: string }): Draft[] {
  const index = drafts.findIndex((d) => d.draftId === piece.draftId);
  if (index < 0) return [...drafts, { draftId: piece.draftId, sessionId: piece.sessionId, author: piece.author, text: piece.delta, cards: [] }];
  const next = drafts.slice();
  next[index] = { ...drafts[index], text: drafts[index].text + piece.delta };
  return next;
}

/** Adds (or, for the same tool call, replaces) a card of the draft `draftId`. */
export function applyCard(drafts: readonly Draft[], frame: { sessionId: string; draftId: string; card: ToolCard }, author: ChatAuthor): Draft[] {
  const index = drafts.findIndex((d) => d.draftId === frame.draftId);
  if (index < 0) return [...drafts, { draftId: frame.draftId, sessionId: frame.sessionId, author, text: "", cards: [frame.card] }];
  const draft = drafts[index];
  const cards = draft.cards.some((c) => c.toolCallId === frame.card.toolCallId)
    ? draft.cards.map((c) => (c.toolCallId === frame.card.toolCallId ? frame.card : c))
    : [...draft.cards, frame.card];
  const next = drafts.slice();
  next[index] = { ...draft, cards };
  return next;
}

/** Drops the drafts that stored messages have replaced. */
export function dropFinished(drafts: readonly Draft[], messages: readonly ChatMessage[]): Draft[] {
  if (drafts.length === 0) return drafts as Draft[];
  const finished = new Set(messages.flatMap((m) => (m.draftId ? [m.draftId] : [])));
  const left = drafts.filter((d) => !finished.has(d.draftId));
  return left.length === drafts.length ? (drafts as Draft[]) : left;
}
