/**
 * The full-text query builder shared by the project's two FTS5 indexes (chat messages and
 * knowledge). Pure: no storage, no `agents` import.
 */

/**
 * A person's (or the model's) words as an FTS5 `MATCH` query: each whitespace-separated word
 * becomes a quoted string (a `"` inside doubled), so punctuation and FTS5 keywords (`AND`, `OR`,
 * `NEAR`, `*`, `-`, `:`) are searched as text rather than read as syntax; the words are joined
 * by spaces, which FTS5 reads as AND (every word must occur). Text with no word gives `""`, a
 * valid query that matches nothing.
 */
export function ftsQuery(text: string): string {
  const words = text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `"${word.replaceAll('"', '""')}"`);
  return words.join(" ") || '""';
}
