/**
 * One reply of the tech lead in a chat session: the turn (turn.ts) over the session's lead
 * conversation, streamed to every client as `chat.delta` and `chat.card` frames under one
 * `draftId`, then stored as one chat message with its cards (and the model messages appended
 * to the conversation). A failure is posted in the session as a system message, never thrown.
 * The same reply serves a text chat and a voice turn (ReplyOptions: the voice actor also reads
 * the text as it streams, and may interrupt it).
 */
import type { ModelMessage, ToolSet } from "ai";
import { newId } from "../../ids.ts";
import type { TechLeadSettings } from "../../shared/project-settings.ts";
import { SYSTEM_AUTHOR, TECH_LEAD_AUTHOR, type ServerFrame } from "../../shared/protocol.ts";
import type { MessageExtras, NewMessage } from "../project/chat-store.ts";
import { appendConversation, readConversation } from "./conversation.ts";
import { interruptedText } from "./interrupted.ts";
import { runTechLeadTurn, type TechLeadTurn } from "./turn.ts";

/** Where the reply happens: the project, as read when the turn starts. */
export interface LeadReplyContext {
  env: Env;
  storage: DurableObjectStorage;
  /** The project's id and name. */
  project: { id: string; name: string };
  /** The project's tech-lead model; null when none is set. */
  techLead: TechLeadSettings | null;
  /** The tech lead's tools, bound to this project, session and person (the project's MCP servers' tools listed first, hence a promise). */
  tools(): ToolSet | Promise<ToolSet>;
  /** Stores a message in the session and broadcasts it (`chat.message`). */
  post(sessionId: string, message: NewMessage, extras?: MessageExtras): Promise<unknown>;
  /** Sends a frame to every client of the project. */
  send(frame: ServerFrame): void;
  /** Names the project in log lines. */
  label: string;
}

/** What a project without a tech-lead model answers (a system message). */
export const NO_LEAD_MODEL_TEXT = "The tech lead has no model yet. Set one in the project's settings (PATCH /api/projects/:projectId {techLead: {model}}).";

/** What a voice turn adds to a reply: the ledger's source, an interrupt, and the reply's text and tool calls as they stream. */
export interface ReplyOptions {
  /** Who the ledger records the turn's model calls for (default `lead`). */
  source?: TechLeadTurn["source"];
  /** Interrupts the reply (turn.ts: the model call is aborted, started tool calls finish and are kept). */
  signal?: AbortSignal;
  /** Each piece of the reply's text as it streams (besides the `chat.delta` frames). */
  onDelta?(delta: string): void;
  /** A tool's name when the tech lead calls it. */
  onToolCall?(toolName: string): void;
}

/**
 * How a reply ended: `ok` with its text (`interrupted`: cut short, the text is what it had
 * said), or not, with a code (`no_lead_model`, `budget_exceeded`, `credential_missing`,
 * `payer_mode_conflict`, `model_unavailable`, `failed`) and the message posted in the session.
 */
export type ReplyOutcome = { ok: true; text: string; interrupted: boolean } | { ok: false; code: string; message: string };

/** The code of a turn's failure: the error's own `code` when it has a known one (the gate's errors), else `failed`. */
function failureCode(error: unknown): string {
  const code = typeof error === "object" && error !== null && "code" in error ? (error as { code: unknown }).code : null;
  return typeof code === "string" && ["budget_exceeded", "credential_missing", "payer_mode_conflict", "model_unavailable"].includes(code) ? code : "failed";
}

/**
 * The tech lead's reply to `user`'s `text` in `sessionId`. Resolves when it is stored (or its
 * failure posted) with how it ended. An interrupted reply is stored with what it had said and
 * its kept cards, marked "(interrupted)" (nothing is posted when it had streamed nothing yet),
 * and its conversation keeps what interrupted.ts keeps.
 */
export async function replyInSession(ctx: LeadReplyContext, sessionId: string, user: { id: string; name: string }, text: string, options: ReplyOptions = {}): Promise<ReplyOutcome> {
  if (!ctx.techLead) {
    await ctx.post(sessionId, { role: "system", author: SYSTEM_AUTHOR, text: NO_LEAD_MODEL_TEXT });
    return { ok: false, code: "no_lead_model", message: NO_LEAD_MODEL_TEXT };
  }
  const draftId = `draft_${newId("message")}`;
  const history = readConversation(ctx.storage.sql, sessionId);
  const userMessage: ModelMessage = { role: "user", content: `${user.name}: ${text}` };
  let streamed = false;
  try {
    const reply = await runTechLeadTurn({
      env: ctx.env,
      projectId: ctx.project.id,
      projectName: ctx.project.name,
      userId: user.id,
      model: ctx.techLead,
      messages: [...history, userMessage],
      tools: await ctx.tools(),
      onDelta: (delta) => {
        streamed = true;
        ctx.send({ type: "chat.delta", sessionId, draftId, author: TECH_LEAD_AUTHOR, delta });
        options.onDelta?.(delta);
      },
      onCard: (card) => {
        streamed = true;
        ctx.send({ type: "chat.card", sessionId, draftId, card });
      },
      onToolCall: options.onToolCall,
      source: options.source,
      signal: options.signal,
    });
    appendConversation(ctx.storage, sessionId, history.length, [userMessage, ...reply.responseMessages]);
    if (!reply.interrupted) {
      await ctx.post(sessionId, { role: "assistant", author: TECH_LEAD_AUTHOR, text: reply.text }, { cards: reply.cards, draftId });
    } else if (streamed || reply.cards.length > 0) {
      await ctx.post(sessionId, { role: "assistant", author: TECH_LEAD_AUTHOR, text: interruptedText(reply.text) }, { cards: reply.cards, draftId });
    }
    return { ok: true, text: reply.text, interrupted: reply.interrupted };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`project ${ctx.label}: tech lead turn failed: ${message}`);
    const posted = `The tech lead could not answer: ${message}`;
    await ctx.post(sessionId, { role: "system", author: SYSTEM_AUTHOR, text: posted }, { draftId });
    return { ok: false, code: failureCode(error), message: posted };
  }
}
