/**
 * Pronunciations for the recogniser's dictionary: the CMU Pronouncing Dictionary that Debian's
 * `pocketsphinx-en-us` ships (`cmudict-en-us.dict`, ARPAbet phones), and, for words it lacks
 * (tool and product names in a prompt: "wrangler", "vitest"), espeak-ng's own pronunciation
 * (`espeak-ng --ipa`) mapped from IPA to ARPAbet. The parsing and the mapping are pure; reading
 * the dictionary and asking espeak-ng are done by the callers (`recogniser.ts`).
 */

/** A pronouncing dictionary: word → its pronunciations (each a space-separated ARPAbet phone string). */
export type Pronunciations = Map<string, string[]>;

/**
 * Parses CMU dictionary text (`word PH ON ES`, alternatives as `word(2) ...`, `#` comments after
 * the phones are dropped). Returns word → pronunciations in file order; lines that do not parse
 * are skipped.
 */
export function parseCmuDict(text: string): Pronunciations {
  const dict: Pronunciations = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const match = /^(\S+?)(?:\(\d+\))?\s+(.+)$/.exec(line);
    if (!match) continue;
    const word = match[1].toLowerCase();
    const phones = match[2].trim().split(/\s+/).join(" ");
    const list = dict.get(word);
    if (list) list.push(phones);
    else dict.set(word, [phones]);
  }
  return dict;
}

/**
 * Writes the dictionary file pocketsphinx reads (`-dict`) for `words`: each word with all its
 * pronunciations (the second and later as `word(2)`, ...). Words with none are left out.
 * Returns the text (one entry a line, sorted by word).
 */
export function dictionaryText(words: Iterable<string>, pronunciations: ReadonlyMap<string, readonly string[]>): string {
  const lines: string[] = [];
  for (const word of [...new Set(words)].sort()) {
    const list = pronunciations.get(word) ?? [];
    list.forEach((phones, i) => lines.push(`${i === 0 ? word : `${word}(${i + 1})`} ${phones}`));
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/**
 * IPA symbols (as espeak-ng prints them with `--sep=_`, one phoneme a token, stress marks and
 * length marks attached) → ARPAbet phones of the CMU set pocketsphinx's en-us acoustic model
 * knows. Source: the IPA column of the CMU dictionary's phone set (cmudict.phones) and
 * espeak-ng's en-us phoneme inventory (phsource/ph_english_us).
 */
const IPA_TO_ARPABET: Record<string, string[]> = {
  p: ["P"], b: ["B"], t: ["T"], d: ["D"], k: ["K"], g: ["G"], "ɡ": ["G"], f: ["F"], v: ["V"],
  "θ": ["TH"], "ð": ["DH"], s: ["S"], z: ["Z"], "ʃ": ["SH"], "ʒ": ["ZH"], h: ["HH"], m: ["M"],
  n: ["N"], "ŋ": ["NG"], l: ["L"], "ɹ": ["R"], r: ["R"], w: ["W"], j: ["Y"], "tʃ": ["CH"],
  "dʒ": ["JH"], "ɾ": ["T"], "ʔ": ["T"], x: ["K"], "n̩": ["AH", "N"], "l̩": ["AH", "L"], "ʍ": ["W"],
  i: ["IY"], "iː": ["IY"], "ɪ": ["IH"], "ᵻ": ["IH"], e: ["EY"], "eɪ": ["EY"], "ɛ": ["EH"], "æ": ["AE"],
  a: ["AA"], "ɑ": ["AA"], "ɑː": ["AA"], "ɔ": ["AO"], "ɔː": ["AO"], o: ["OW"], "oʊ": ["OW"], "ʊ": ["UH"],
  u: ["UW"], "uː": ["UW"], "ʌ": ["AH"], "ə": ["AH"], "ɐ": ["AH"], "ɚ": ["ER"], "ɜ": ["ER"], "ɜː": ["ER"],
  "aɪ": ["AY"], "aʊ": ["AW"], "ɔɪ": ["OY"], "əl": ["AH", "L"], "ɛɹ": ["EH", "R"], "ɪɹ": ["IH", "R"],
  "ʊɹ": ["UH", "R"], "ɑːɹ": ["AA", "R"], "ɔːɹ": ["AO", "R"], "oːɹ": ["AO", "R"], "aɪɚ": ["AY", "ER"],
  "aɪə": ["AY", "AH"], "iə": ["IY", "AH"], "ɜːɹ": ["ER"], "əʊ": ["OW"],
};

/**
 * Maps one word's espeak-ng IPA output (`--ipa --sep=_`: phonemes joined by `_`, words by
 * spaces) to an ARPAbet phone string, e.g. `ɹ_ˈæ_ŋ_ɡ_l_ɚ` → `R AE NG G L ER`. Stress (ˈ ˌ),
 * length (ː where unlisted), syllable and tie marks are ignored; an unknown symbol is dropped.
 * Returns undefined when nothing is left.
 */
export function ipaToArpabet(ipa: string): string | undefined {
  const phones: string[] = [];
  for (const token of ipa.trim().split(/[_\s]+/)) {
    const clean = token.replace(/[ˈˌ.‿͡]/g, "");
    if (clean === "") continue;
    const direct = IPA_TO_ARPABET[clean] ?? IPA_TO_ARPABET[clean.replace(/ː/g, "")];
    if (direct) {
      phones.push(...direct);
      continue;
    }
    // An unlisted cluster: map it symbol by symbol.
    for (const ch of clean.replace(/ː/g, "")) {
      const one = IPA_TO_ARPABET[ch];
      if (one) phones.push(...one);
    }
  }
  return phones.length === 0 ? undefined : phones.join(" ");
}
