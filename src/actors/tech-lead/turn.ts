/**
 * One model turn of the tech lead (issue 3): the project's tech-lead model runs over the
 * session's lead conversation with the tech-lead tools, through the model gate; the reply streams
 * token by token and each tool call as a card. Storing the reply is reply.ts's job.
 */
import { isStepCount, streamText, type ModelMessage, type ToolSet } from "ai";
import { estimateUsage } from "../../models/estimate.ts";
import { beginGatedCall } from "../../models/gate.ts";
import { resolveModel } from "../../models/registry.ts";
import type { ToolCard } from "../../shared/protocol.ts";
import type { TechLeadSettings } from "../../shared/project-settings.ts";
import { errorCard, inCallOrder, resultCard } from "./card.ts";

/** Model steps in one turn (each step may call tools). */
const MAX_TURN_STEPS = 8;

/** What a turn needs from the project actor. */
export interface TechLeadTurn {
  env: Env;
  projectId: string;
  projectName: string;
  /** The person who spoke; they pay for the turn. */
  userId: string;
  /** The project's tech-lead model (and its script, for the `scripted` model). */
  model: TechLeadSettings;
  /** The lead conversation so far, ending with the new user message. */
  messages: ModelMessage[];
  tools: ToolSet;
  /** Called with each piece of the reply's text as it streams. */
  onDelta(delta: string): void;
  /** Called with each tool call's card as its result arrives. */
  onCard(card: ToolCard): void;
}

/** What a turn produced: the reply text, its cards (in call order), and the model messages to keep. */
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

/**
 * Runs one turn through the model gate (the person who spoke pays; their budgets are checked
 * before and the turn's usage recorded after, as for any model call). A user's API key echoed in
 * the provider's error message is replaced by `[redacted]` (the message is posted in the chat).
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
        const card = resultCard(part, part.output);
        cards.push(card);
        turn.onCard(card);
        break;
      }
      case "tool-error": {
        const card = errorCard(part, part.error);
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
  const usage = { inputTokens: total.inputTokens ?? 0, outputTokens: total.outputTokens ?? 0, cachedInputTokens: total.inputTokenDetails?.cacheReadTokens ?? 0 };
  return { text, cards: inCallOrder(cards, callOrder), responseMessages: response.messages, usage };
}
