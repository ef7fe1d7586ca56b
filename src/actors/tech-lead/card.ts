/**
 * A tool call of the tech lead as a card in the chat (streamed as `chat.card`, stored on the
 * reply): its input, and its output capped so one call cannot bloat a stored message. Pure.
 */
import type { ToolCard } from "../../shared/protocol.ts";

/** Cap on a card's stored output, in characters of its JSON (16 KiB). */
export const MAX_CARD_OUTPUT = 16 * 1024;

/**
 * A JSON-safe copy of a tool's `output` for a card: the value as JSON would round-trip it
 * (`undefined` becomes null), or, when its JSON is longer than MAX_CARD_OUTPUT characters, the
 * first MAX_CARD_OUTPUT characters of that JSON as a string ending in `… [truncated]`.
 */
export function cardOutput(output: unknown): unknown {
  const json = JSON.stringify(output ?? null);
  return json.length > MAX_CARD_OUTPUT ? `${json.slice(0, MAX_CARD_OUTPUT)}… [truncated]` : JSON.parse(json);
}

/** The card of a tool call that returned `output` (capped by `cardOutput`). */
export function resultCard(call: { toolCallId: string; toolName: string; input: unknown }, output: unknown): ToolCard {
  return { toolCallId: call.toolCallId, toolName: call.toolName, input: call.input, output: cardOutput(output), isError: false };
}

/** The card of a tool call that threw `error`: its message as the output. */
export function errorCard(call: { toolCallId: string; toolName: string; input: unknown }, error: unknown): ToolCard {
  const message = error instanceof Error ? error.message : String(error);
  return { toolCallId: call.toolCallId, toolName: call.toolName, input: call.input, output: message, isError: true };
}

/** `cards` ordered as their tool calls were made (`callOrder`: tool call ids), since the tools of one step finish in any order. */
export function inCallOrder(cards: readonly ToolCard[], callOrder: readonly string[]): ToolCard[] {
  return [...cards].sort((a, b) => callOrder.indexOf(a.toolCallId) - callOrder.indexOf(b.toolCallId));
}
