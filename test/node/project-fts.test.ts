/** ftsQuery: a person's words become an FTS5 query where every word is a quoted string, all required. */
import { describe, expect, it } from "vitest";
import { ftsQuery } from "../../src/actors/project/fts.ts";

describe("ftsQuery", () => {
  it("quotes each word and joins them with spaces (FTS5's implicit AND)", () => {
    expect(ftsQuery("deploy pipeline")).toBe('"deploy" "pipeline"');
  });

  it("splits on any run of whitespace and ignores leading and trailing whitespace", () => {
    expect(ftsQuery("  deploy \t\n pipeline  ")).toBe('"deploy" "pipeline"');
  });

  it("gives the empty phrase for empty or blank input, a valid query that matches nothing", () => {
    expect(ftsQuery("")).toBe('""');
    expect(ftsQuery(" \t\n ")).toBe('""');
  });

  it("doubles a double quote inside a word, so the word stays one string", () => {
    expect(ftsQuery('say "hi"')).toBe('"say" """hi"""');
    expect(ftsQuery('"')).toBe('""""');
  });

  it("keeps FTS5 operators and punctuation as text inside quotes", () => {
    expect(ftsQuery("C++ AND build* NEAR(x) -flag col:value ^start")).toBe('"C++" "AND" "build*" "NEAR(x)" "-flag" "col:value" "^start"');
  });

  it("keeps non-ASCII words whole", () => {
    expect(ftsQuery("café naïve 日本")).toBe('"café" "naïve" "日本"');
  });
});
