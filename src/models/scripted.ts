/**
 * The `scripted` model: a deterministic LanguageModelV4 that replays a given list of steps.
 * For tests, demos, reproducible eval baselines and offline runs (docs/architecture.md §3).
 *
 * Its position in the script is the number of assistant messages already in the prompt, so a
 * task that resumes after a crash replays from the right step without any hidden state.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
} from "@ai-sdk/provider";
import { SCRIPT_FINISHED_TEXT, type ScriptStep } from "../shared/script.ts";

/** Rough token count of a string: 1 token per 4 characters, rounded up (no tokenizer offline). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
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
 * Tool call ids are `call_<step>_<index>`, stable across replays.
 */
export function createScriptedModel(script: readonly ScriptStep[]): LanguageModelV4 {
  const generate = (options: LanguageModelV4CallOptions): LanguageModelV4GenerateResult => {
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
    const outputText = (step.text ?? "") + JSON.stringify(step.toolCalls ?? []);
    return {
      content,
      finishReason: { unified: hasToolCalls ? "tool-calls" : "stop", raw: undefined },
      usage: usageOf(estimateTokens(JSON.stringify(options.prompt)), estimateTokens(outputText)),
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
