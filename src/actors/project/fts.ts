/**
 * The full-text query builder shared by the project's two FTS5 indexes (chat messages and
 * knowledge). Pure: no storage, no `agents` import.
 */

/** Control characters (C0, DEL and C1): a NUL in a `MATCH` string makes the query fail. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A person's (or the model's) words as an FTS5 `MATCH` query: control characters (NUL included,
 * see CONTROL_CHARACTERS) count as whitespace, then each whitespace-separated word becomes a
 * quoted string (a `"` inside doubled), so punctuation and FTS5 keywords (`AND`, `OR`, `NEAR`,
 * `*`, `-`, `:`) are searched as text rather than read as syntax; the words are joined by spaces,
 * which FTS5 reads as AND (every word must occur). Text with no word gives `""`, a valid query
 * that matches nothing.
 */
export function ftsQuery(text: string): string {
  const words = text
    .replace(CONTROL_CHARACTERS, " ")
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `"${word.replaceAll('"', '""')}"`);
  return words.join(" ") || '""';
}
