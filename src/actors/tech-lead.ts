/**
 * The tech lead's turn (issue 3): part of ProjectAgent, not an actor of its own. A turn runs the
 * project's tech-lead model over the session's lead conversation with the tech-lead tools,
 * streams the reply token by token and each tool call as a card, then stores the reply (with its
 * cards) as one chat message and the model messages for the next turn.
 */
import { isStepCount, streamText, type ModelMessage, type ToolSet } from "ai";
import { beginGatedCall, estimateUsage } from "../models/gate.ts";
import { resolveModel } from "../models/registry.ts";
import type { ScriptStep } from "../shared/script.ts";
import type { ToolCard } from "../shared/protocol.ts";

/** The name the tech lead speaks under in the chat. */
export const TECH_LEAD_AUTHOR = "tech lead";
/** Model steps in one turn (each step may call tools). */
const MAX_TURN_STEPS = 8;
/** Cap on a card's stored output, in characters of its JSON. */
const MAX_CARD_OUTPUT = 16 * 1024;

/** Whether `text` addresses the tech lead (`@lead` as a word). */
export function mentionsLead(text: string): boolean {
  return /(^|\s)@lead\b/i.test(text);
}

/** What a turn needs from the project actor. */
export interface TechLeadTurn {
  env: Env;
  projectId: string;
  projectName: string;
  userId: string;
  model: { model: string; script?: ScriptStep[] };
  /** The lead conversation so far, ending with the new user message. */
  messages: ModelMessage[];
  tools: ToolSet;
  onDelta(delta: string): void;
  onCard(card: ToolCard): void;
}

/** What a turn produced: the reply text, its cards, and the model messages to keep. */
export interface TechLeadReply {
  text: string;
  cards: ToolCard[];
  responseMessages: ModelMessage[];
}

function instructions(projectName: string): string {
  return `You are the tech lead of the software project "${projectName}" in SAM, a manager of AI coding agents.
People talk to you in the project chat. Turn their goals into missions (create_mission: a plan of tasks
with dependencies by key; each task runs a coding agent in its own isolated workspace), follow them
(get_mission, list_tasks, get_project_status), and keep the project's knowledge and policies.
Be brief: say what you did and what happens next.`;
}

/** JSON-safe, size-capped copy of a tool's output for a card. */
function cardOutput(output: unknown): unknown {
  const json = JSON.stringify(output ?? null);
  return json.length > MAX_CARD_OUTPUT ? `${json.slice(0, MAX_CARD_OUTPUT)}… [truncated]` : JSON.parse(json);
}

/**
 * Runs one turn through the model gate (the person who spoke pays; their budgets are checked
 * before and the turn's usage recorded after, as for any model call).
 * @throws ModelUnavailableError when the model cannot run here, BudgetExceededError or
 *   PayerModeError before the call, or the provider's error when the call fails.
 */
export async function runTechLeadTurn(turn: TechLeadTurn): Promise<TechLeadReply> {
  const context = { userId: turn.userId, projectId: turn.projectId };
  const chars = JSON.stringify(turn.messages).length;
  const call = await beginGatedCall(turn.env, context, turn.model.model, estimateUsage(turn.env, turn.model.model, chars), "lead");
  const started = Date.now();
  try {
    const reply = await streamTurn(turn, resolveModel(turn.model.model, turn.env, context, turn.model.script, call.auth));
    await call.settle({ ...reply.usage, status: "ok", latencyMs: Date.now() - started });
    return reply;
  } catch (error) {
    await call.settle({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, status: "failed", latencyMs: Date.now() - started });
    // A provider may echo the user's own key in its error; the message is posted in the chat.
    const key = call.auth.apiKey;
    if (key && error instanceof Error && error.message.includes(key)) throw new Error(error.message.split(key).join("[redacted]"));
    throw error;
  }
}

async function streamTurn(turn: TechLeadTurn, model: ReturnType<typeof resolveModel>): Promise<TechLeadReply & { usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number } }> {
  const result = streamText({
    model,
    instructions: instructions(turn.projectName),
    messages: turn.messages,
    tools: turn.tools,
    stopWhen: isStepCount(MAX_TURN_STEPS),
    maxRetries: 1,
  });
  let text = "";
  const cards: ToolCard[] = [];
  // Tools of a step run at once and finish in any order; the stored message lists them as called.
  const callOrder: string[] = [];
  for await (const part of result.stream) {
    switch (part.type) {
      case "tool-call":
        callOrder.push(part.toolCallId);
        break;
      case "text-delta":
        text += part.text;
        turn.onDelta(part.text);
        break;
      case "tool-result": {
        const card: ToolCard = { toolCallId: part.toolCallId, toolName: part.toolName, input: part.input, output: cardOutput(part.output), isError: false };
        cards.push(card);
        turn.onCard(card);
        break;
      }
      case "tool-error": {
        const message = part.error instanceof Error ? part.error.message : String(part.error);
        const card: ToolCard = { toolCallId: part.toolCallId, toolName: part.toolName, input: part.input, output: message, isError: true };
        cards.push(card);
        turn.onCard(card);
        break;
      }
      case "error":
        throw part.error instanceof Error ? part.error : new Error(String(part.error));
      default:
        break;
    }
  }
  const [response, total] = await Promise.all([result.response, result.totalUsage]);
  cards.sort((a, b) => callOrder.indexOf(a.toolCallId) - callOrder.indexOf(b.toolCallId));
  const usage = { inputTokens: total.inputTokens ?? 0, outputTokens: total.outputTokens ?? 0, cachedInputTokens: total.inputTokenDetails?.cacheReadTokens ?? 0 };
  return { text, cards, responseMessages: response.messages, usage };
}
