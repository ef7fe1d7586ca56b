/** What a call costs (src/models/catalog.ts `costUsd`) and what it is expected to use (src/models/estimate.ts). */
import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { costUsd, priceOf } from "../../src/models/catalog.ts";
import { DEFAULT_OUTPUT_ESTIMATE, estimateUsage, stepInputChars } from "../../src/models/estimate.ts";

describe("costUsd", () => {
  it("prices input and output per million tokens from the catalog", () => {
    // openai/gpt-4.1-mini: $0.40 in, $1.60 out per MTok.
    expect(costUsd("openai/gpt-4.1-mini", 1_000_000, 500_000)).toBeCloseTo(0.4 + 0.8, 10);
  });

  it("prices cached input at the cached price, and never more cached tokens than input", () => {
    // anthropic/claude-sonnet-4-5: $3 in, $0.30 cached, $15 out per MTok.
    expect(costUsd("anthropic/claude-sonnet-4-5", 1_000_000, 0, 400_000)).toBeCloseTo(0.6 * 3 + 0.4 * 0.3, 10);
    expect(costUsd("anthropic/claude-sonnet-4-5", 1000, 0, 5000)).toBeCloseTo((1000 * 0.3) / 1e6, 12);
  });

  it("prices compat models from SAM_COMPAT_PRICES (cached input at the input price unless set), else free", () => {
    const prices = JSON.stringify({ llama: { input: 1, output: 2 } });
    expect(priceOf("compat/llama", prices)).toEqual({ inputPerMTokUsd: 1, outputPerMTokUsd: 2, cachedInputPerMTokUsd: 1 });
    expect(costUsd("compat/llama", 2_000_000, 1_000_000, 0, prices)).toBeCloseTo(4, 10);
    expect(costUsd("compat/other", 2_000_000, 1_000_000, 0, prices)).toBe(0);
    expect(costUsd("scripted", 1e9, 1e9)).toBe(0);
  });
});

describe("estimateUsage", () => {
  it("counts one input token per 4 characters (rounded up) and prices the estimate", () => {
    const estimate = estimateUsage({}, "openai/gpt-4.1", 4001, 2000);
    expect(estimate.inputTokens).toBe(1001);
    expect(estimate.outputTokens).toBe(2000);
    // $2 in, $8 out per MTok.
    expect(estimate.costUsd).toBeCloseTo((1001 * 2 + 2000 * 8) / 1e6, 12);
  });

  it("reserves DEFAULT_OUTPUT_ESTIMATE output tokens without a positive max_tokens", () => {
    expect(estimateUsage({}, "scripted", 0).outputTokens).toBe(DEFAULT_OUTPUT_ESTIMATE);
    expect(estimateUsage({}, "scripted", 0, 0).outputTokens).toBe(DEFAULT_OUTPUT_ESTIMATE);
    expect(estimateUsage({}, "scripted", 0, null).outputTokens).toBe(DEFAULT_OUTPUT_ESTIMATE);
  });

  it("prices a compat model with the configured prices", () => {
    expect(estimateUsage({ SAM_COMPAT_PRICES: JSON.stringify({ m: { input: 1e6, output: 0 } }) }, "compat/m", 40, 1).costUsd).toBeCloseTo(10, 10);
  });
});

describe("stepInputChars", () => {
  it("is the instructions' length plus each message's JSON length", () => {
    const messages: ModelMessage[] = [
      { role: "user", content: "hello" },
      { role: "assistant", content: "hi there" },
    ];
    const expected = "be brief".length + messages.reduce((n, m) => n + JSON.stringify(m).length, 0);
    expect(stepInputChars("be brief", messages)).toBe(expected);
    // Measured again (from memory for messages already seen) as the conversation grows.
    const grown = [...messages, { role: "user", content: "more" } as ModelMessage];
    expect(stepInputChars("be brief", grown)).toBe(expected + JSON.stringify(grown[2]).length);
  });
});
