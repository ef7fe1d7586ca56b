/**
 * One model step of a tool loop: a single model call that returns text and tool calls without
 * executing them, so the caller can journal each call before it runs (docs/architecture.md §1).
 */
import { generateText, type ModelMessage, type ToolSet } from "ai";
import type { LanguageModelV4 } from "@ai-sdk/provider";

/** A tool call the model asked for; `input` is the parsed JSON (or the raw text if unparsable). */
export interface RequestedToolCall {
  toolCallId: string;
  toolName: string;
  input: unknown;
}

/** What one model step produced. Token counts are the provider's (0 when it reports none). */
export interface ModelStepResult {
  text: string;
  toolCalls: RequestedToolCall[];
  /** The assistant message(s) to append to the conversation. */
  responseMessages: ModelMessage[];
  finishReason: string;
  inputTokens: number;
  outputTokens: number;
  /** Part of inputTokens read from the provider's prompt cache (0 when it reports none). */
  cachedInputTokens: number;
  durationMs: number;
}

/**
 * Calls `model` once with `messages` and the tool definitions.
 * @throws whatever the provider throws (network, auth, abort).
 */
export async function runModelStep(options: {
  model: LanguageModelV4;
  instructions: string;
  messages: ModelMessage[];
  tools: ToolSet;
  abortSignal?: AbortSignal;
}): Promise<ModelStepResult> {
  const started = Date.now();
  const result = await generateText({
    model: options.model,
    instructions: options.instructions,
    messages: options.messages,
    tools: options.tools,
    abortSignal: options.abortSignal,
    maxRetries: 1,
    // SAM records usage itself (the gate's ledger). In workerd, node:diagnostics_channel reports
    // no `hasSubscribers`, so with telemetry on every call would take the traced, redacting path.
    telemetry: { isEnabled: false },
  });
  // Tools have no `execute`, so the response holds only assistant messages; keep exactly those.
  const responseMessages = result.response.messages.filter((m) => m.role === "assistant");
  return {
    text: result.text,
    toolCalls: result.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input })),
    responseMessages,
    finishReason: result.finishReason,
    inputTokens: result.usage.inputTokens ?? 0,
    outputTokens: result.usage.outputTokens ?? 0,
    cachedInputTokens: result.usage.inputTokenDetails?.cacheReadTokens ?? 0,
    durationMs: Date.now() - started,
  };
}
