/**
 * What a call is expected to use before it runs (the estimate its reservation holds): input
 * tokens from the request's size, output tokens from its `max_tokens`, and their cost at the
 * catalog's prices. Pure; the gate, the task loop and the proxy use it.
 */
import type { ModelMessage } from "ai";
import { costUsd } from "./catalog.ts";
import type { UsageEstimate } from "./usage.ts";

/** Output tokens reserved for a call that sets no `max_tokens`. */
export const DEFAULT_OUTPUT_ESTIMATE = 1024;
/** Characters of request counted as one input token (a common rule of thumb for English and code). */
export const CHARS_PER_TOKEN = 4;

/**
 * The estimate of a call of `modelId`: input tokens from `inputChars` (1 token per
 * CHARS_PER_TOKEN characters, rounded up), output tokens from `maxOutputTokens` (when absent or
 * not positive, DEFAULT_OUTPUT_ESTIMATE), and their cost in USD at the model's prices
 * (`SAM_COMPAT_PRICES` for compat models), counting no cached input.
 */
export function estimateUsage(vars: { SAM_COMPAT_PRICES?: string }, modelId: string, inputChars: number, maxOutputTokens?: number | null): UsageEstimate {
  const inputTokens = Math.ceil(inputChars / CHARS_PER_TOKEN);
  const outputTokens = maxOutputTokens && maxOutputTokens > 0 ? maxOutputTokens : DEFAULT_OUTPUT_ESTIMATE;
  return { inputTokens, outputTokens, costUsd: costUsd(modelId, inputTokens, outputTokens, 0, vars.SAM_COMPAT_PRICES) };
}

/** JSON length of each message seen, so a loop's growing conversation is measured once per message. */
const messageChars = new WeakMap<object, number>();

/** The conversation's size in characters of JSON (each message measured once, then remembered). */
function conversationChars(messages: readonly ModelMessage[]): number {
  let total = 0;
  for (const message of messages) {
    let chars = messageChars.get(message);
    if (chars === undefined) {
      chars = JSON.stringify(message).length;
      messageChars.set(message, chars);
    }
    total += chars;
  }
  return total;
}

/** A tool-loop step's input size for its estimate: the instructions plus the conversation as JSON, in characters. */
export function stepInputChars(instructions: string, messages: readonly ModelMessage[]): number {
  return instructions.length + conversationChars(messages);
}
