/**
 * Markdown code fences for text that must be shown verbatim (pure; Node and browser).
 */

/**
 * Wraps `text` in a fenced code block that the text itself cannot close: the fence is one
 * backtick longer than the longest run of backticks in `text` (at least three, CommonMark §4.5).
 * @param text any text, shown as-is inside the block.
 * @param language the info string's language (e.g. "json"), or "" for none; its first word only,
 *   with only `[\w+#.-]` kept.
 * @returns Markdown source: fence + language, newline, text, newline, fence.
 */
export function codeFence(text: string, language = ""): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  const info = (language.trim().split(/\s+/)[0] ?? "").replace(/[^\w+#.-]/g, "");
  return `${fence}${info}\n${text}\n${fence}`;
}
