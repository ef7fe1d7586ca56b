/** When the tech lead answers: `@lead` as a word, or any message in a tech-lead session. */
import { describe, expect, it } from "vitest";
import { leadAnswers, mentionsLead } from "../../src/actors/tech-lead/mention.ts";

describe("mentionsLead", () => {
  it("sees @lead at the start, after whitespace, in any case, before punctuation", () => {
    expect(mentionsLead("@lead plan the release")).toBe(true);
    expect(mentionsLead("hey\n@Lead, are you there?")).toBe(true);
    expect(mentionsLead("thanks @LEAD")).toBe(true);
  });

  it("ignores @lead glued to a word or continued by letters, and a bare 'lead'", () => {
    expect(mentionsLead("mail@lead.dev")).toBe(false);
    expect(mentionsLead("@leader, hi")).toBe(false);
    expect(mentionsLead("@leads")).toBe(false);
    expect(mentionsLead("the lead said so")).toBe(false);
  });
});

describe("leadAnswers", () => {
  it("answers every message of a tech-lead session, and a chat message only when it mentions the lead", () => {
    expect(leadAnswers("tech-lead", "anything")).toBe(true);
    expect(leadAnswers("chat", "anything")).toBe(false);
    expect(leadAnswers("chat", "@lead anything")).toBe(true);
  });
});
