/** A tool call as a card: its output JSON-safe and capped at MAX_CARD_OUTPUT characters; cards in call order. */
import { describe, expect, it } from "vitest";
import { cardOutput, errorCard, inCallOrder, MAX_CARD_OUTPUT, resultCard } from "../../src/actors/tech-lead/card.ts";

describe("cardOutput", () => {
  it("keeps a small output as the value JSON round-trips", () => {
    expect(cardOutput({ id: "msn_1", tasks: ["a", "b"] })).toEqual({ id: "msn_1", tasks: ["a", "b"] });
    expect(cardOutput(undefined)).toBeNull();
    expect(cardOutput({ when: new Date(0), skip: undefined })).toEqual({ when: "1970-01-01T00:00:00.000Z" });
  });

  it("keeps an output whose JSON is exactly MAX_CARD_OUTPUT characters", () => {
    const text = "x".repeat(MAX_CARD_OUTPUT - 2); // JSON adds the two quotes
    expect(cardOutput(text)).toBe(text);
  });

  it("cuts an output whose JSON is longer to its first MAX_CARD_OUTPUT characters, marked truncated", () => {
    const output = cardOutput({ text: "y".repeat(MAX_CARD_OUTPUT) });
    expect(typeof output).toBe("string");
    expect(output).toBe(`${JSON.stringify({ text: "y".repeat(MAX_CARD_OUTPUT) }).slice(0, MAX_CARD_OUTPUT)}… [truncated]`);
    expect((output as string).length).toBe(MAX_CARD_OUTPUT + "… [truncated]".length);
  });
});

describe("cards", () => {
  const call = { toolCallId: "c1", toolName: "get_mission", input: { missionId: "msn_1" } };

  it("a result card carries the capped output; an error card the error's message", () => {
    expect(resultCard(call, { ok: true })).toEqual({ ...call, output: { ok: true }, isError: false });
    expect(errorCard(call, new Error("no mission msn_1 in this project"))).toEqual({ ...call, output: "no mission msn_1 in this project", isError: true });
    expect(errorCard(call, "plain")).toEqual({ ...call, output: "plain", isError: true });
  });

  it("orders cards as their calls were made, whatever order they finished in", () => {
    const card = (id: string) => resultCard({ ...call, toolCallId: id }, null);
    const ordered = inCallOrder([card("c3"), card("c1"), card("c2")], ["c1", "c2", "c3"]);
    expect(ordered.map((c) => c.toolCallId)).toEqual(["c1", "c2", "c3"]);
  });
});
