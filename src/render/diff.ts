/**
 * A task's changes as a diff view: a unified diff rendered file by file with diff2html's HTML
 * renderer (line-by-line or side-by-side tables, word-level highlights), each file's HTML
 * sanitised like Markdown (sanitize.ts). Styles are in styles.ts (`renderStyles`).
 */
import { html } from "diff2html";
import { parseDiffFiles } from "./diff-files.ts";
import { sanitizeHtml } from "./sanitize.ts";

/** One file's rendered diff. */
export type RenderedDiffFile = {
  /** Repository-relative path (the old path for a deleted file). */
  path: string;
  /** Sanitised diff2html markup for this file alone (a `.d2h-wrapper`). */
  html: string;
  /** Lines added and removed. */
  added: number;
  removed: number;
};

/**
 * Renders a unified diff file by file.
 * @param unifiedDiff git's unified diff of one or more files; "" gives [].
 * @param options `outputFormat`: "line-by-line" (default; one column, fits a phone) or
 *   "side-by-side".
 * @returns one entry per file, in the diff's order (browser only: sanitising needs `window`).
 */
export function renderDiff(unifiedDiff: string, options: { outputFormat?: "line-by-line" | "side-by-side" } = {}): RenderedDiffFile[] {
  const outputFormat = options.outputFormat ?? "line-by-line";
  return parseDiffFiles(unifiedDiff).map(({ path, added, removed, file }) => ({
    path,
    added,
    removed,
    html: sanitizeHtml(html([file], { outputFormat, drawFileList: false, matching: "lines", diffStyle: "word" })),
  }));
}
