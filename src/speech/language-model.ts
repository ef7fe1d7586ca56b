/**
 * A trigram language model built from a small corpus, written in the ARPA text format that
 * pocketsphinx reads (`-lm file.arpa`). This is how the local recogniser is adapted to what
 * people say to the tech lead: Debian ships no LM toolkit for pocketsphinx (`sphinx_lm_convert`
 * and CMUCLMTK are not in `pocketsphinx`), so the estimation is done here. Pure.
 *
 * The estimate is interpolated Kneser-Ney (Chen & Goodman 1998, "An empirical study of smoothing
 * techniques for language modeling", §3.4) with one absolute discount per order,
 * D = n1 / (n1 + 2·n2) (n1, n2: the numbers of n-grams seen once and twice). Lower orders use
 * continuation counts (how many different words precede an n-gram), except n-grams that start
 * with `<s>`, which keep their raw counts. The unigram level is interpolated with a uniform
 * distribution over the whole vocabulary, so that words seen only in the general word list (or
 * not in any corpus sentence) keep a probability: free phrasing is still recognised, only less
 * readily than the corpus' phrasing. Written in ARPA's back-off form the way SRILM writes an
 * interpolated model: a listed n-gram carries its interpolated probability and a context's
 * back-off weight is its interpolation weight γ, so the model stays normalised.
 */

/** The corpus and vocabulary of {@link buildArpa}. */
export interface LanguageModelInput {
  /** Corpus sentences as lower-case words (no `<s>`/`</s>`); each may carry a weight (count multiplier, default 1). */
  sentences: readonly { words: readonly string[]; weight?: number }[];
  /** Further words the model must be able to produce although no sentence has them (unigrams only). */
  extraWords?: readonly string[];
  /**
   * Share of the unigram probability mass spread uniformly over the whole vocabulary (0..1,
   * default 0.1): the higher, the more readily words outside the corpus' phrasing are chosen.
   */
  uniformWeight?: number;
  /** Words to leave out (e.g. those without a pronunciation in the dictionary). */
  exclude?: ReadonlySet<string>;
}

/** What {@link buildArpa} returns. */
export interface LanguageModel {
  /** The ARPA text (`\data\` ... `\end\`). */
  arpa: string;
  /** The vocabulary (without `<s>`/`</s>`), sorted. */
  vocabulary: string[];
  /** Number of listed n-grams per order, [unigrams, bigrams, trigrams]. */
  counts: [number, number, number];
}

const BOS = "<s>";
const EOS = "</s>";
const SEP = "\u0001";

/** Absolute discount from the count-of-counts n1, n2 (Ney, Essen & Kneser 1994), kept within [0.1, 0.9]. */
function discount(counts: Iterable<number>): number {
  let n1 = 0;
  let n2 = 0;
  for (const c of counts) {
    if (c === 1) n1++;
    else if (c === 2) n2++;
  }
  if (n1 === 0) return 0.5;
  return Math.min(0.9, Math.max(0.1, n1 / (n1 + 2 * n2)));
}

function log10(p: number): string {
  return p <= 0 ? "-99" : Math.log10(p).toFixed(6);
}

function add(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * Estimates the model (see the module comment) and writes it as ARPA text. Takes
 * {@link LanguageModelInput}; returns {@link LanguageModel}. Sentences whose words are all
 * excluded are skipped; an empty corpus gives a unigram-only model over `extraWords`.
 * @throws Error when the vocabulary is empty (a recogniser needs at least one word).
 */
export function buildArpa(input: LanguageModelInput): LanguageModel {
  const exclude = input.exclude ?? new Set<string>();
  const uniformWeight = Math.min(1, Math.max(0, input.uniformWeight ?? 0.1));
  const ok = (w: string) => w !== "" && w !== BOS && w !== EOS && !exclude.has(w) && !/\s/.test(w);

  const tri = new Map<string, number>(); // "a\u0001b\u0001c" → weighted count
  const bi = new Map<string, number>(); // raw counts of bigrams
  const vocab = new Set<string>();
  for (const sentence of input.sentences) {
    const weight = sentence.weight ?? 1;
    if (!(weight > 0)) continue;
    const words = sentence.words.filter(ok);
    if (words.length === 0) continue;
    for (const w of words) vocab.add(w);
    const tokens = [BOS, ...words, EOS];
    for (let i = 1; i < tokens.length; i++) {
      add(bi, tokens[i - 1] + SEP + tokens[i], weight);
      if (i >= 2) add(tri, tokens[i - 2] + SEP + tokens[i - 1] + SEP + tokens[i], weight);
    }
  }
  for (const w of input.extraWords ?? []) if (ok(w)) vocab.add(w);
  if (vocab.size === 0) throw new Error("buildArpa: the vocabulary is empty");

  // Bigram counts for the middle order: continuation counts N1+(• b c), raw counts after <s>.
  const biKn = new Map<string, number>();
  for (const key of tri.keys()) {
    const [, b, c] = key.split(SEP);
    add(biKn, b + SEP + c, 1);
  }
  for (const [key, count] of bi) if (key.startsWith(BOS + SEP)) biKn.set(key, count);
  // Unigram continuation counts N1+(• w).
  const uniKn = new Map<string, number>();
  for (const key of bi.keys()) add(uniKn, key.split(SEP)[1], 1);

  const d3 = discount(tri.values());
  const d2 = discount(biKn.values());

  // Unigrams: p1(w) = (1-u)·kn(w)/Σkn + u/|V| (u = uniformWeight; all mass uniform without a corpus).
  const words = [...vocab].sort();
  const uniTotal = [...uniKn.values()].reduce((a, b) => a + b, 0);
  const u = uniTotal === 0 ? 1 : uniformWeight;
  const targets = [...words, EOS];
  const p1 = new Map<string, number>();
  for (const w of targets) p1.set(w, (uniTotal === 0 ? 0 : ((1 - u) * (uniKn.get(w) ?? 0)) / uniTotal) + u / targets.length);

  // Bigram contexts: totals and numbers of distinct continuations.
  const ctx2Total = new Map<string, number>();
  const ctx2Types = new Map<string, number>();
  for (const [key, count] of biKn) {
    const a = key.split(SEP)[0];
    add(ctx2Total, a, count);
    add(ctx2Types, a, 1);
  }
  const gamma2 = (a: string) => {
    const total = ctx2Total.get(a);
    return total ? (d2 * (ctx2Types.get(a) ?? 0)) / total : 1;
  };
  const p2 = (a: string, b: string): number => {
    const total = ctx2Total.get(a);
    const lower = p1.get(b) ?? 0;
    if (!total) return lower;
    return Math.max((biKn.get(a + SEP + b) ?? 0) - d2, 0) / total + gamma2(a) * lower;
  };

  // Trigram contexts.
  const ctx3Total = new Map<string, number>();
  const ctx3Types = new Map<string, number>();
  for (const [key, count] of tri) {
    const [a, b] = key.split(SEP);
    add(ctx3Total, a + SEP + b, count);
    add(ctx3Types, a + SEP + b, 1);
  }
  const gamma3 = (ab: string) => {
    const total = ctx3Total.get(ab);
    return total ? (d3 * (ctx3Types.get(ab) ?? 0)) / total : 1;
  };

  const lines: string[] = [];
  const uniLines: string[] = [];
  const hasBigrams = biKn.size > 0;
  uniLines.push(`-99 ${BOS}${hasBigrams ? ` ${log10(gamma2(BOS))}` : ""}`);
  for (const w of targets) {
    const bow = ctx2Total.has(w) ? ` ${log10(gamma2(w))}` : w === EOS || !hasBigrams ? "" : " 0";
    uniLines.push(`${log10(p1.get(w) ?? 0)} ${w}${bow}`);
  }
  const biLines: string[] = [];
  for (const key of [...biKn.keys()].sort()) {
    const [a, b] = key.split(SEP);
    const bow = ctx3Total.has(key) ? ` ${log10(gamma3(key))}` : "";
    biLines.push(`${log10(p2(a, b))} ${a} ${b}${bow}`);
  }
  const triLines: string[] = [];
  for (const key of [...tri.keys()].sort()) {
    const [a, b, c] = key.split(SEP);
    const ab = a + SEP + b;
    const p = Math.max((tri.get(key) ?? 0) - d3, 0) / (ctx3Total.get(ab) ?? 1) + gamma3(ab) * p2(b, c);
    triLines.push(`${log10(p)} ${a} ${b} ${c}`);
  }
  // ARPA lists only the orders that have n-grams (an empty section is refused by some readers).
  lines.push("\\data\\", `ngram 1=${uniLines.length}`);
  if (biLines.length > 0) lines.push(`ngram 2=${biLines.length}`);
  if (triLines.length > 0) lines.push(`ngram 3=${triLines.length}`);
  lines.push("", "\\1-grams:", ...uniLines, "");
  if (biLines.length > 0) lines.push("\\2-grams:", ...biLines, "");
  if (triLines.length > 0) lines.push("\\3-grams:", ...triLines, "");
  lines.push("\\end\\", "");
  return { arpa: lines.join("\n"), vocabulary: words, counts: [uniLines.length, biLines.length, triLines.length] };
}
