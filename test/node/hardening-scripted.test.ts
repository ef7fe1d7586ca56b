/**
 * The `scripted` model's usage (src/models/scripted.ts), called directly as a LanguageModelV4:
 * input tokens are the prompt of this call only (instructions + messages, 4 characters a token,
 * as estimate.ts counts), output tokens what this call produced, and a prompt over its context
 * window is refused as a provider would.
 */
import type { LanguageModelV4CallOptions, LanguageModelV4Prompt } from "@ai-sdk/provider";
import { generateText, type ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { CHARS_PER_TOKEN, stepInputChars } from "../../src/models/estimate.ts";
import { createScriptedModel, promptTokens, SCRIPTED_CONTEXT_WINDOW } from "../../src/models/scripted.ts";
import { SCRIPT_FINISHED_TEXT } from "../../src/shared/script.ts";

const INSTRUCTIONS = "You are a coding agent.";
const call = (prompt: LanguageModelV4Prompt): LanguageModelV4CallOptions => ({ prompt });
const tokens = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);

/** The prompt of step `n` (0-based) of a bash loop whose tool results are `output` each. */
function promptAtStep(n: number, output: string): LanguageModelV4Prompt {
  const prompt: LanguageModelV4Prompt = [
    { role: "system", content: INSTRUCTIONS },
    { role: "user", content: [{ type: "text", text: "go" }] },
  ];
  for (let i = 0; i < n; i++) {
    prompt.push({ role: "assistant", content: [{ type: "tool-call", toolCallId: `call_${i}_0`, toolName: "bash", input: { command: "cat big" } }] });
    prompt.push({ role: "tool", content: [{ type: "tool-result", toolCallId: `call_${i}_0`, toolName: "bash", output: { type: "text", value: output } }] });
  }
  return prompt;
}

describe("the scripted model's usage", () => {
  const script = Array.from({ length: 5 }, () => ({ toolCalls: [{ toolName: "bash", input: { command: "cat big" } }] }));

  it("counts as input the prompt of this call: the instructions plus every message as JSON, 4 characters a token", async () => {
    const model = createScriptedModel(script);
    const prompt = promptAtStep(2, "y\n".repeat(1000));
    const result = await model.doGenerate(call(prompt));
    const chars = INSTRUCTIONS.length + prompt.slice(1).reduce((sum, m) => sum + JSON.stringify(m).length, 0);
    expect(result.usage.inputTokens.total).toBe(tokens(chars));
    expect(result.usage.inputTokens.total).toBe(promptTokens(prompt));
    expect(result.usage.inputTokens.noCache).toBe(result.usage.inputTokens.total);
  });

  it("counts as output only what this call produced: its tool call's name and input", async () => {
    const model = createScriptedModel(script);
    const result = await model.doGenerate(call(promptAtStep(3, "x")));
    expect(result.usage.outputTokens.total).toBe(tokens("bash".length + JSON.stringify({ command: "cat big" }).length));
    const finished = await createScriptedModel([{ text: "all done" }]).doGenerate(call(promptAtStep(1, "x")));
    expect(finished.usage.outputTokens.total).toBe(tokens(SCRIPT_FINISHED_TEXT.length));
  });

  it("books per step what that step was given, not the sum of the steps before it", async () => {
    const model = createScriptedModel(script);
    const output = "z".repeat(4000);
    const perStep: number[] = [];
    for (let n = 0; n < 4; n++) perStep.push((await model.doGenerate(call(promptAtStep(n, output)))).usage.inputTokens.total ?? 0);
    // Each step adds one call and one result of about 1,000 tokens; the count grows by that, no more.
    const growth = perStep.slice(1).map((t, i) => t - perStep[i]);
    for (const g of growth) expect(g).toBeGreaterThan(1000);
    for (const g of growth) expect(g).toBeLessThan(1100);
    expect(Math.max(...growth) - Math.min(...growth)).toBeLessThanOrEqual(1);
  });

  it("reports to the AI SDK about what the gate estimated for the step (the prompt formats differ by a few characters a message)", async () => {
    const messages: ModelMessage[] = [{ role: "user", content: "go" }];
    const model = createScriptedModel(script);
    for (let i = 0; i < 3; i++) {
      const estimate = tokens(stepInputChars(INSTRUCTIONS, messages));
      const result = await generateText({ model, instructions: INSTRUCTIONS, messages });
      expect(Math.abs((result.usage.inputTokens ?? 0) - estimate)).toBeLessThanOrEqual(10 * messages.length);
      messages.push(...result.response.messages.filter((m) => m.role === "assistant"));
      const id = result.toolCalls[0]?.toolCallId ?? "none";
      messages.push({ role: "tool", content: [{ type: "tool-result", toolCallId: id, toolName: "bash", output: { type: "text", value: "w".repeat(8000) } }] });
    }
  });

  it("refuses a prompt over its context window, as a provider answers 400", async () => {
    const model = createScriptedModel(script);
    const huge = "q".repeat(SCRIPTED_CONTEXT_WINDOW * CHARS_PER_TOKEN);
    await expect(model.doGenerate(call(promptAtStep(1, huge)))).rejects.toThrow(/context length exceeded: the prompt has \d+ tokens; the scripted model's context window is 1000000 tokens/);
    await expect(model.doStream(call(promptAtStep(1, huge)))).rejects.toThrow(/context length exceeded/);
    // Just under the window is answered.
    const under = "q".repeat((SCRIPTED_CONTEXT_WINDOW - 1000) * CHARS_PER_TOKEN);
    expect((await model.doGenerate(call(promptAtStep(1, under)))).usage.inputTokens.total).toBeLessThanOrEqual(SCRIPTED_CONTEXT_WINDOW);
  });
});
