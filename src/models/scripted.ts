/**
 * The `scripted` model: a deterministic LanguageModelV4 that replays a given list of steps.
 * For tests, demos, reproducible eval baselines and offline runs (DESIGN.md §3).
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
import { z } from "zod";

/** One scripted step: tool calls to make, or a final text (or both). */
export const scriptStepSchema = z
  .object({
    text: z.string().optional(),
    toolCalls: z
      .array(z.object({ toolName: z.string().min(1), input: z.unknown() }))
      .max(32)
      .optional(),
  })
  .strict()
  .refine((s) => s.text !== undefined || (s.toolCalls !== undefined && s.toolCalls.length > 0), {
    message: "a script step needs `text` or a non-empty `toolCalls`",
  });
export type ScriptStep = z.infer<typeof scriptStepSchema>;

/** A whole script: at most 1,000 steps. */
export const scriptSchema = z.array(scriptStepSchema).min(1).max(1000);

/** Text the model answers with once its script has run out. */
export const SCRIPT_FINISHED_TEXT = "script finished";

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
