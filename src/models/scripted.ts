/**
 * The `scripted` model: a deterministic LanguageModelV4 that replays a given list of steps.
 * For tests, demos, reproducible eval baselines and offline runs (docs/architecture.md §3).
 *
 * Its position in the script is the number of assistant messages already in the prompt, so a
 * task that resumes after a crash replays from the right step without any hidden state.
 *
 * It reports usage as a provider does for one call: input tokens are the prompt it was given
 * for this call (instructions and messages, measured as estimate.ts measures a step's input, one
 * token per CHARS_PER_TOKEN characters), output tokens what it produced in this call. Like a
 * provider, it refuses a prompt larger than its context window (the catalog's), so a task whose
 * conversation outgrows it fails instead of booking millions of tokens per step.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { SCRIPT_FINISHED_TEXT, type ScriptStep } from "../shared/script.ts";
import { findCatalogModel } from "./catalog.ts";
import { CHARS_PER_TOKEN } from "./estimate.ts";

/** The scripted model's context window in tokens: the catalog's entry (1,000,000). */
export const SCRIPTED_CONTEXT_WINDOW = findCatalogModel("scripted")?.contextWindow ?? 1_000_000;

/** Tokens of `chars` characters: one per CHARS_PER_TOKEN, rounded up (no tokenizer offline; as estimate.ts counts). */
function tokensOf(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/**
 * Input tokens of one call's `prompt`: its instructions (the text of system messages) plus every
 * other message as JSON, one token per CHARS_PER_TOKEN characters, rounded up: what the call was
 * given, as `stepInputChars` (estimate.ts) measures a step's input before it is admitted.
 */
export function promptTokens(prompt: LanguageModelV4Prompt): number {
  let chars = 0;
  for (const message of prompt) chars += message.role === "system" ? message.content.length : JSON.stringify(message).length;
  return tokensOf(chars);
}

/** Output tokens of a scripted step: its text, and each tool call's name and input as JSON. */
function outputTokens(step: ScriptStep): number {
  let chars = step.text?.length ?? 0;
  for (const call of step.toolCalls ?? []) chars += call.toolName.length + JSON.stringify(call.input ?? {}).length;
  return tokensOf(chars);
}

function usageOf(inputTokens: number, outputTokens: number): LanguageModelV4Usage {
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

/**
 * Creates a scripted model for `script`. Each call returns the step at index
 * (number of assistant messages in the prompt); past the end it returns {@link SCRIPT_FINISHED_TEXT}.
 * Tool call ids are `call_<step>_<index>`, stable across replays. Usage: see the module's comment.
 * A call throws (as a provider answers 400) when its prompt has more than SCRIPTED_CONTEXT_WINDOW tokens.
 */
export function createScriptedModel(script: readonly ScriptStep[]): LanguageModelV4 {
  const generate = (options: LanguageModelV4CallOptions): LanguageModelV4GenerateResult => {
    const inputTokens = promptTokens(options.prompt);
    if (inputTokens > SCRIPTED_CONTEXT_WINDOW) {
      throw new Error(`context length exceeded: the prompt has ${inputTokens} tokens; the scripted model's context window is ${SCRIPTED_CONTEXT_WINDOW} tokens`);
    }
    const position = options.prompt.filter((m) => m.role === "assistant").length;
    const step: ScriptStep = script[position] ?? { text: SCRIPT_FINISHED_TEXT };
    const content: LanguageModelV4Content[] = [];
    if (step.text !== undefined) content.push({ type: "text", text: step.text });
    (step.toolCalls ?? []).forEach((call, index) => {
      content.push({
        type: "tool-call",
        toolCallId: `call_${position}_${index}`,
        toolName: call.toolName,
        input: JSON.stringify(call.input ?? {}),
      });
    });
    const hasToolCalls = (step.toolCalls?.length ?? 0) > 0;
    return {
      content,
      finishReason: { unified: hasToolCalls ? "tool-calls" : "stop", raw: undefined },
      usage: usageOf(inputTokens, outputTokens(step)),
      warnings: [],
    };
  };

  return {
    specificationVersion: "v4",
    provider: "sam",
    modelId: "scripted",
    supportedUrls: {},
    async doGenerate(options) {
      return generate(options);
    },
    async doStream(options): Promise<LanguageModelV4StreamResult> {
      const result = generate(options);
      const parts: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }];
      for (const part of result.content) {
        if (part.type === "text") {
          // Word by word, so a streamed reply arrives in pieces as a real model's tokens do.
          parts.push({ type: "text-start", id: "t0" });
          for (const piece of part.text.match(/\s*\S+|\s+$/g) ?? []) parts.push({ type: "text-delta", id: "t0", delta: piece });
          parts.push({ type: "text-end", id: "t0" });
        } else if (part.type === "tool-call") {
          parts.push(part);
        }
      }
      parts.push({ type: "finish", finishReason: result.finishReason, usage: result.usage });
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(controller) {
            for (const p of parts) controller.enqueue(p);
            controller.close();
          },
        }),
      };
    },
  };
}
