/**
 * Text as a recogniser sees it: lower-case words, no punctuation, identifiers and numbers spelt
 * out as they are spoken. Used to build the language model's corpus (`language-model.ts`), to
 * pick the dictionary's words, and to compare a transcript with its reference (`wer.ts`). Pure.
 */

const ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
const TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

/**
 * An integer from 0 to 999,999 in English words as US speakers say it ("one hundred five",
 * "forty two", "twelve thousand three hundred"); larger numbers are spelt digit by digit. Takes
 * the digits as a string (leading zeros spelt digit by digit too, as in "007"). Returns words.
 */
export function numberWords(digits: string): string[] {
  if (!/^\d+$/.test(digits)) return [];
  if ((digits.length > 1 && digits.startsWith("0")) || digits.length > 6) return [...digits].map((d) => ONES[Number(d)]);
  const below1000 = (n: number): string[] => {
    const out: string[] = [];
    if (n >= 100) {
      out.push(ONES[Math.floor(n / 100)], "hundred");
      n %= 100;
      if (n === 0) return out;
    }
    if (n < 20) out.push(ONES[n]);
    else {
      out.push(TENS[Math.floor(n / 10)]);
      if (n % 10) out.push(ONES[n % 10]);
    }
    return out;
  };
  const n = Number(digits);
  if (n < 1000) return below1000(n);
  const thousands = below1000(Math.floor(n / 1000));
  const rest = n % 1000;
  return rest === 0 ? [...thousands, "thousand"] : [...thousands, "thousand", ...below1000(rest)];
}

/**
 * The spoken words of `text`, lower-case: `snake_case`, `kebab-case`, `camelCase` and dotted
 * names are split into their parts (`create_task` → "create task"), integers become words
 * (`numberWords`), apostrophes inside words are kept ("don't"), everything else that is not a
 * letter separates words. Returns the words in order (an empty array for no words).
 */
export function spokenWords(text: string): string[] {
  const words: string[] = [];
  const spaced = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    // camelCase and PascalCase boundaries: "listTasks" → "list Tasks", "HTTPServer" → "HTTP Server"
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    // letters next to digits: "v2" → "v 2"
    .replace(/([A-Za-z])(\d)/g, "$1 $2")
    .replace(/(\d)([A-Za-z])/g, "$1 $2")
    .replace(/[’‘`]/g, "'");
  for (const token of spaced.split(/[^A-Za-z0-9']+/)) {
    const trimmed = token.replace(/^'+|'+$/g, "");
    if (trimmed === "") continue;
    if (/^\d+$/.test(trimmed)) words.push(...numberWords(trimmed));
    else {
      // digits glued to apostrophes ("90's") are rare: keep the letters only
      const letters = trimmed.replace(/\d+/g, "");
      if (letters !== "") words.push(letters.toLowerCase());
    }
  }
  return words;
}

/**
 * Splits `text` into sentence-like phrases (at `.`, `!`, `?`, `;`, `:`, commas, new lines and
 * bullet characters), each as its spoken words; empty phrases are dropped. Used to turn a
 * prompt or a list of task titles into corpus sentences.
 */
export function phrases(text: string): string[][] {
  return text
    .split(/[.!?;:,\n\r\u2022]+/)
    .map((part) => spokenWords(part))
    .filter((words) => words.length > 0);
}
