/**
 * One model turn of the tech lead (issue 3): the project's tech-lead model runs over the
 * session's lead conversation with the tech-lead tools, through the model gate; the reply streams
 * token by token and each tool call as a card. Storing the reply is reply.ts's job.
 *
 * A turn can be interrupted (a voice turn's barge-in, `signal`): the model call is aborted at
 * once, no further step starts, a tool call that had started is let finish (its card and result
 * kept), and the turn returns what it had (interrupted.ts), recorded in the ledger as `aborted`.
 */
import { isStepCount, streamText, type ModelMessage, type ToolSet } from "ai";
import { estimateUsage } from "../../models/estimate.ts";
import { beginGatedCall } from "../../models/gate.ts";
import { resolveModel } from "../../models/registry.ts";
import type { UsageSource } from "../../models/usage.ts";
import type { ToolCard } from "../../shared/protocol.ts";
import type { TechLeadSettings } from "../../shared/project-settings.ts";
import { errorCard, inCallOrder, resultCard } from "./card.ts";
import { interruptedTurnMessages, type JournaledCall, type JournaledStep } from "./interrupted.ts";

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
  /** Called with a tool's name when the model calls it (before it runs). */
  onToolCall?(toolName: string): void;
  /** Who the ledger records the turn's model calls for: `lead` (text chat, the default) or `voice`. */
  source?: Extract<UsageSource, "lead" | "voice">;
  /** Interrupts the turn (see the module's comment). */
  signal?: AbortSignal;
}

/**
 * What a turn produced: the reply text, its cards (in call order), the model messages to keep,
 * and whether it was interrupted (then the text and messages are what it had so far).
 */
export interface TechLeadReply {
  text: string;
  cards: ToolCard[];
  responseMessages: ModelMessage[];
  interrupted: boolean;
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
 * before and the turn's usage recorded after, as for any model call, under `turn.source`). A
 * turn interrupted before it reached the gate makes no call and returns an empty interrupted
 * reply. A user's API key echoed in the provider's error message is replaced by `[redacted]`
 * (the message is posted in the chat).
 * @throws ModelUnavailableError when the model cannot run here, BudgetExceededError or
 *   PayerModeError before the call, or the provider's error when the call fails.
 */
export async function runTechLeadTurn(turn: TechLeadTurn): Promise<TechLeadReply> {
  if (turn.signal?.aborted) return { text: "", cards: [], responseMessages: [], interrupted: true };
  const context = { userId: turn.userId, projectId: turn.projectId };
  const chars = JSON.stringify(turn.messages).length;
  const call = await beginGatedCall(turn.env, context, turn.model.model, estimateUsage(turn.env, turn.model.model, chars), turn.source ?? "lead");
  const started = Date.now();
  try {
    const reply = await streamTurn(turn, resolveModel(turn.model.model, turn.env, context, turn.model.script, call.auth));
    await call.settle({ ...reply.usage, status: reply.interrupted ? "aborted" : "ok", latencyMs: Date.now() - started });
    return reply;
  } catch (error) {
    await call.settle({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, status: "failed", latencyMs: Date.now() - started });
    const key = call.auth.apiKey;
    if (key && error instanceof Error && error.message.includes(key)) throw new Error(error.message.split(key).join("[redacted]"));
    throw error;
  }
}

/** A tool call's outcome, as the journaling wrapper sees its execution end. */
type ExecutionOutcome = { ok: true; output: unknown } | { ok: false; error: unknown };

/**
 * `tools` with each `execute` journaled in `started` (tool call id → its outcome, from the
 * moment it starts), so an interrupted turn can wait for the calls that started and keep them.
 * The tools behave as before (the same result or error reaches the model).
 */
function journaledTools(tools: ToolSet, started: Map<string, Promise<ExecutionOutcome>>): ToolSet {
  const wrapped: ToolSet = {};
  for (const [name, original] of Object.entries(tools)) {
    const execute = original.execute;
    if (!execute) {
      wrapped[name] = original;
      continue;
    }
    wrapped[name] = {
      ...original,
      execute: (input: unknown, options: { toolCallId: string }) => {
        const run = Promise.resolve().then(() => execute.call(original, input as never, options as never) as unknown);
        started.set(
          options.toolCallId,
          run.then(
            (output) => ({ ok: true as const, output }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
        );
        return run;
      },
    } as typeof original;
  }
  return wrapped;
}

async function streamTurn(turn: TechLeadTurn, model: ReturnType<typeof resolveModel>): Promise<TechLeadReply & { usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number } }> {
  const executions = new Map<string, Promise<ExecutionOutcome>>();
  const result = streamText({
    model,
    instructions: instructions(turn.projectName),
    messages: turn.messages,
    tools: journaledTools(turn.tools, executions),
    stopWhen: isStepCount(MAX_TURN_STEPS),
    maxRetries: 1,
    abortSignal: turn.signal,
  });
  // An interrupted turn never reads these; they reject on abort.
  result.responseMessages.then(undefined, () => {});
  result.totalUsage.then(undefined, () => {});
  let text = "";
  const cards: ToolCard[] = [];
  const callOrder: string[] = [];
  // The journal an interrupted turn keeps: finished steps, and the step under way.
  const finished: JournaledStep[] = [];
  let step: JournaledStep = { text: "", calls: [] };
  const usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  let aborted = false;
  const record = (call: { toolCallId: string; toolName: string; input: unknown }, card: ToolCard, outcome: JournaledCall["outcome"]) => {
    cards.push(card);
    turn.onCard(card);
    const journaled = step.calls.find((c) => c.toolCallId === call.toolCallId) ?? finished.flatMap((s) => s.calls).find((c) => c.toolCallId === call.toolCallId);
    if (journaled) journaled.outcome = outcome;
  };
  for await (const part of result.stream) {
    switch (part.type) {
      case "start-step":
        step = { text: "", calls: [] };
        break;
      case "tool-call":
        callOrder.push(part.toolCallId);
        step.calls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input, started: false });
        turn.onToolCall?.(part.toolName);
        break;
      case "text-delta":
        text += part.text;
        step.text += part.text;
        turn.onDelta(part.text);
        break;
      case "tool-result":
        record(part, resultCard(part, part.output), { ok: true, output: part.output });
        break;
      case "tool-error":
        record(part, errorCard(part, part.error), { ok: false, message: part.error instanceof Error ? part.error.message : String(part.error) });
        break;
      case "finish-step":
        usage.inputTokens += part.usage.inputTokens ?? 0;
        usage.outputTokens += part.usage.outputTokens ?? 0;
        usage.cachedInputTokens += part.usage.inputTokenDetails?.cacheReadTokens ?? 0;
        finished.push(step);
        step = { text: "", calls: [] };
        break;
      case "abort":
        aborted = true;
        break;
      case "error":
        // An interrupt may surface as the aborted request's error rather than as `abort`.
        if (turn.signal?.aborted) {
          aborted = true;
          break;
        }
        throw part.error instanceof Error ? part.error : new Error(String(part.error));
      default:
        break;
    }
  }
  if (aborted || turn.signal?.aborted) {
    // The tool calls that started finish, and are kept with their results.
    for (const journaled of [...finished.flatMap((s) => s.calls), ...step.calls]) {
      const execution = executions.get(journaled.toolCallId);
      if (!execution) continue;
      journaled.started = true;
      if (journaled.outcome) continue;
      const outcome = await execution;
      if (outcome.ok) record(journaled, resultCard(journaled, outcome.output), { ok: true, output: outcome.output });
      else record(journaled, errorCard(journaled, outcome.error), { ok: false, message: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) });
    }
    const kept = interruptedTurnMessages(finished, step);
    const keptIds = new Set(kept.flatMap((m) => (m.role === "tool" ? m.content.flatMap((c) => (c.type === "tool-result" ? [c.toolCallId] : [])) : [])));
    return { text, cards: inCallOrder(cards.filter((c) => keptIds.has(c.toolCallId)), callOrder), responseMessages: kept, usage, interrupted: true };
  }
  // Every step's messages (`response.messages` would be the last step's only: the tool calls of earlier steps would be lost).
  const [responseMessages, total] = await Promise.all([result.responseMessages, result.totalUsage]);
  const totals = { inputTokens: total.inputTokens ?? 0, outputTokens: total.outputTokens ?? 0, cachedInputTokens: total.inputTokenDetails?.cacheReadTokens ?? 0 };
  return { text, cards: inCallOrder(cards, callOrder), responseMessages, usage: totals, interrupted: false };
}
