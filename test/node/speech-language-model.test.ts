/**
 * The local recogniser's adaptation, as pure logic: the trigram model (a proper distribution
 * after every context, seen or not, and it prefers the corpus' phrasing), the corpus (every
 * tech-lead tool named; the word-error-rate set held out of it), and the pronunciations.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { EVAL_VOICES, SPOKEN_REQUESTS } from "../../evals/speech/requests.ts";
import { GENERAL_WORDS, TECH_LEAD_REQUESTS, TOOL_NAMES } from "../../src/speech/corpus.ts";
import { buildArpa } from "../../src/speech/language-model.ts";
import { dictionaryText, ipaToArpabet, parseCmuDict } from "../../src/speech/pronounce.ts";
import { spokenWords } from "../../src/speech/text.ts";

const root = resolve(import.meta.dirname, "../..");

/** A minimal ARPA back-off model reader: log10 p(word | history) as a decoder computes it. */
function arpaModel(arpa: string) {
  const prob = new Map<string, number>();
  const bow = new Map<string, number>();
  let order = 0;
  for (const line of arpa.split("\n")) {
    const section = /^\\(\d)-grams:$/.exec(line);
    if (section) {
      order = Number(section[1]);
      continue;
    }
    if (order === 0 || line.trim() === "" || line.startsWith("\\")) continue;
    const parts = line.trim().split(/\s+/);
    const words = parts.slice(1, 1 + order).join(" ");
    prob.set(words, Number(parts[0]));
    if (parts.length > 1 + order) bow.set(words, Number(parts[1 + order]));
  }
  const logp = (history: string[], word: string): number => {
    const key = [...history, word].join(" ");
    if (prob.has(key)) return prob.get(key)!;
    if (history.length === 0) return -Infinity;
    return (bow.get(history.join(" ")) ?? 0) + logp(history.slice(1), word);
  };
  return { logp, prob };
}

const small = buildArpa({
  sentences: [
    { words: ["create", "a", "mission"] },
    { words: ["create", "a", "task"] },
    { words: ["cancel", "the", "task"], weight: 2 },
    { words: ["list", "the", "tasks"] },
  ],
  extraWords: ["status", "yes"],
  uniformWeight: 0.1,
});

describe("the trigram language model (buildArpa)", () => {
  const model = arpaModel(small.arpa);
  const targets = [...small.vocabulary, "</s>"];
  const total = (history: string[]) => targets.reduce((sum, w) => sum + 10 ** model.logp(history, w), 0);

  it("lists every word, the sentence marks, and the n-grams seen", () => {
    expect(small.vocabulary).toEqual(["a", "cancel", "create", "list", "mission", "status", "task", "tasks", "the", "yes"]);
    expect(small.arpa).toMatch(/^\\data\\\nngram 1=12\nngram 2=\d+\nngram 3=\d+\n/);
    expect(small.arpa).toContain(" create a mission\n");
    expect(small.arpa.trimEnd().endsWith("\\end\\")).toBe(true);
  });

  it("is a probability distribution after every history: seen trigram contexts, seen bigrams only, and unseen words", () => {
    for (const history of [["<s>"], ["create"], ["<s>", "create"], ["create", "a"], ["the"], ["cancel", "the"], ["yes"], ["status", "yes"], ["a", "mission"]]) {
      expect(total(history), history.join(" ")).toBeCloseTo(1, 4);
    }
  });

  it("prefers the corpus' continuation, weights count, and keeps words outside the corpus possible", () => {
    expect(model.logp(["create", "a"], "mission")).toBeGreaterThan(model.logp(["create", "a"], "tasks") + 0.5);
    // "cancel the task" was seen twice, "list the tasks" once.
    expect(model.logp(["<s>"], "cancel")).toBeGreaterThan(model.logp(["<s>"], "list"));
    expect(Number.isFinite(model.logp(["create", "a"], "status"))).toBe(true);
    expect(model.logp(["create", "a"], "status")).toBeLessThan(model.logp(["create", "a"], "task"));
  });

  it("leaves out excluded words and writes only the orders it has", () => {
    const unigrams = buildArpa({ sentences: [], extraWords: ["yes", "no", "maybe"], exclude: new Set(["maybe"]) });
    expect(unigrams.vocabulary).toEqual(["no", "yes"]);
    expect(unigrams.arpa).not.toContain("ngram 2=");
    expect(unigrams.arpa).not.toContain("maybe");
    const model1 = arpaModel(unigrams.arpa);
    expect(["no", "yes", "</s>"].reduce((s, w) => s + 10 ** model1.logp([], w), 0)).toBeCloseTo(1, 4);
    expect(() => buildArpa({ sentences: [] })).toThrow(/vocabulary is empty/);
  });
});

describe("the corpus", () => {
  it("names every tool of the tech lead (src/tools/platform-tools.ts)", () => {
    // Read from the source: the module itself imports the Workers runtime, which plain Node cannot load.
    const source = readFileSync(resolve(root, "src/tools/platform-tools.ts"), "utf8");
    const tools = [...source.matchAll(/^ {4}name: "([a-z_]+)",$/gm)].map((m) => m[1]);
    expect(tools.length).toBeGreaterThan(10);
    expect(tools.filter((t) => !TOOL_NAMES.includes(t))).toEqual([]);
  });

  it("holds out the word-error-rate set: none of its sentences is in the corpus", () => {
    const corpus = new Set(TECH_LEAD_REQUESTS.map((s) => spokenWords(s).join(" ")));
    expect(SPOKEN_REQUESTS).toHaveLength(20);
    expect(SPOKEN_REQUESTS.filter((s) => corpus.has(spokenWords(s).join(" ")))).toEqual([]);
    expect(EVAL_VOICES.length).toBeGreaterThan(0);
  });

  it("has every word of the set in its vocabulary, so each can be recognised", () => {
    const vocabulary = new Set([...TECH_LEAD_REQUESTS, ...TOOL_NAMES, ...GENERAL_WORDS].flatMap((s) => spokenWords(s)));
    expect(SPOKEN_REQUESTS.flatMap((s) => spokenWords(s)).filter((w) => !vocabulary.has(w))).toEqual([]);
  });
});

describe("pronunciations", () => {
  it("reads the CMU dictionary's entries and alternatives, and writes pocketsphinx's dictionary", () => {
    const dict = parseCmuDict("the DH AH\nthe(2) DH IY\nmission M IH SH AH N # a comment\n\nbad\n");
    expect(dict.get("the")).toEqual(["DH AH", "DH IY"]);
    expect(dict.get("mission")).toEqual(["M IH SH AH N"]);
    expect(dict.has("bad")).toBe(false);
    expect(dictionaryText(["the", "mission", "unknown"], dict)).toBe("mission M IH SH AH N\nthe DH AH\nthe(2) DH IY\n");
  });

  it("maps espeak-ng's IPA to ARPAbet", () => {
    expect(ipaToArpabet("ɹ_ˈæ_ŋ_ɡ_l_ɚ")).toBe("R AE NG G L ER");
    expect(ipaToArpabet("k_ɹ_iː__ˈeɪ_t")).toBe("K R IY EY T");
    expect(ipaToArpabet("dʒ_ˈʌ_dʒ tʃ_ˈɛɹ")).toBe("JH AH JH CH EH R");
    expect(ipaToArpabet("b_ˈʌ_b_əl_ɹ_ˌæ_p")).toBe("B AH B AH L R AE P");
    expect(ipaToArpabet("ˈˌ")).toBeUndefined();
  });
});
