/**
 * Word error rate (WER), the standard measure of a recogniser: the minimum number of word
 * substitutions, deletions and insertions that turn the hypothesis into the reference, divided
 * by the number of reference words (Levenshtein alignment over words, after `spokenWords`
 * normalisation: case, punctuation, identifiers and numbers do not count as errors). Pure.
 */
import { spokenWords } from "./text.ts";

/** The alignment counts of one hypothesis against its reference. */
export interface WordErrors {
  /** Reference words (the denominator of the rate). */
  referenceWords: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  /** substitutions + deletions + insertions. */
  errors: number;
  /** errors / referenceWords (0 when both are empty; `errors` when the reference is empty). Can exceed 1. */
  wer: number;
}

/**
 * Aligns `hypothesis` to `reference` (both plain text) and counts the word errors. Among the
 * alignments with the fewest errors, it prefers substitutions over a deletion plus an insertion,
 * as NIST's sclite does. Returns {@link WordErrors}.
 */
export function wordErrors(reference: string, hypothesis: string): WordErrors {
  const ref = spokenWords(reference);
  const hyp = spokenWords(hypothesis);
  // cost[i][j]: errors aligning ref[0..i) with hyp[0..j); op counts carried alongside.
  type Cell = { cost: number; s: number; d: number; i: number };
  let prev: Cell[] = Array.from({ length: hyp.length + 1 }, (_, j) => ({ cost: j, s: 0, d: 0, i: j }));
  for (let i = 1; i <= ref.length; i++) {
    const row: Cell[] = [{ cost: i, s: 0, d: i, i: 0 }];
    for (let j = 1; j <= hyp.length; j++) {
      const same = ref[i - 1] === hyp[j - 1];
      const diag = prev[j - 1];
      const sub: Cell = { cost: diag.cost + (same ? 0 : 1), s: diag.s + (same ? 0 : 1), d: diag.d, i: diag.i };
      const up = prev[j];
      const del: Cell = { cost: up.cost + 1, s: up.s, d: up.d + 1, i: up.i };
      const left = row[j - 1];
      const ins: Cell = { cost: left.cost + 1, s: left.s, d: left.d, i: left.i + 1 };
      let best = sub;
      if (del.cost < best.cost) best = del;
      if (ins.cost < best.cost) best = ins;
      row.push(best);
    }
    prev = row;
  }
  const end = prev[hyp.length];
  const errors = end.s + end.d + end.i;
  return {
    referenceWords: ref.length,
    substitutions: end.s,
    deletions: end.d,
    insertions: end.i,
    errors,
    wer: ref.length === 0 ? errors : errors / ref.length,
  };
}

/**
 * The corpus-level WER of many utterances: their errors summed over their reference words
 * summed (not the mean of per-sentence rates, which would weigh short sentences more). Takes
 * per-utterance {@link WordErrors}; returns their sum, with `wer` recomputed (0 for none).
 */
export function totalWordErrors(items: readonly WordErrors[]): WordErrors {
  const sum = (key: keyof WordErrors) => items.reduce((acc, x) => acc + x[key], 0);
  const referenceWords = sum("referenceWords");
  const errors = sum("errors");
  return {
    referenceWords,
    substitutions: sum("substitutions"),
    deletions: sum("deletions"),
    insertions: sum("insertions"),
    errors,
    wer: referenceWords === 0 ? errors : errors / referenceWords,
  };
}
