/**
 * One reply of the tech lead in a chat session: the turn (turn.ts) over the session's lead
 * conversation, streamed to every client as `chat.delta` and `chat.card` frames under one
 * `draftId`, then stored as one chat message with its cards (and the model messages appended
 * to the conversation). A failure is posted in the session as a system message, never thrown.
 */
import type { ModelMessage, ToolSet } from "ai";
import { newId } from "../../ids.ts";
import type { TechLeadSettings } from "../../shared/project-settings.ts";
import { SYSTEM_AUTHOR, TECH_LEAD_AUTHOR, type ServerFrame } from "../../shared/protocol.ts";
import type { MessageExtras, NewMessage } from "../project/chat-store.ts";
import { appendConversation, readConversation } from "./conversation.ts";
import { runTechLeadTurn } from "./turn.ts";

/** Where the reply happens: the project, as read when the turn starts. */
export interface LeadReplyContext {
  env: Env;
  storage: DurableObjectStorage;
  /** The project's id and name. */
  project: { id: string; name: string };
  /** The project's tech-lead model; null when none is set. */
  techLead: TechLeadSettings | null;
  /** The tech lead's tools, bound to this project, session and person. */
  tools(): ToolSet;
  /** Stores a message in the session and broadcasts it (`chat.message`). */
  post(sessionId: string, message: NewMessage, extras?: MessageExtras): Promise<unknown>;
  /** Sends a frame to every client of the project. */
  send(frame: ServerFrame): void;
  /** Names the project in log lines. */
  label: string;
}

/** What a project without a tech-lead model answers (a system message). */
export const NO_LEAD_MODEL_TEXT = "The tech lead has no model yet. Set one in the project's settings (PATCH /api/projects/:projectId {techLead: {model}}).";

/** The tech lead's reply to `user`'s `text` in `sessionId`. Resolves when it is stored (or its failure posted). */
export async function replyInSession(ctx: LeadReplyContext, sessionId: string, user: { id: string; name: string }, text: string): Promise<void> {
  if (!ctx.techLead) {
    await ctx.post(sessionId, { role: "system", author: SYSTEM_AUTHOR, text: NO_LEAD_MODEL_TEXT });
    return;
  }
  const draftId = `draft_${newId("message")}`;
  const history = readConversation(ctx.storage.sql, sessionId);
  const userMessage: ModelMessage = { role: "user", content: `${user.name}: ${text}` };
  try {
    const reply = await runTechLeadTurn({
      env: ctx.env,
      projectId: ctx.project.id,
      projectName: ctx.project.name,
      userId: user.id,
      model: ctx.techLead,
      messages: [...history, userMessage],
      tools: ctx.tools(),
      onDelta: (delta) => ctx.send({ type: "chat.delta", sessionId, draftId, author: TECH_LEAD_AUTHOR, delta }),
      onCard: (card) => ctx.send({ type: "chat.card", sessionId, draftId, card }),
    });
    appendConversation(ctx.storage, sessionId, history.length, [userMessage, ...reply.responseMessages]);
    await ctx.post(sessionId, { role: "assistant", author: TECH_LEAD_AUTHOR, text: reply.text }, { cards: reply.cards, draftId });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`project ${ctx.label}: tech lead turn failed: ${message}`);
    await ctx.post(sessionId, { role: "system", author: SYSTEM_AUTHOR, text: `The tech lead could not answer: ${message}` }, { draftId });
  }
}
