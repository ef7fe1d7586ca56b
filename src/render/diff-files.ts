/**
 * A unified diff split file by file (pure; runs in Node and the browser): diff2html's parser,
 * with each file named the way a reader expects — its new path, or its old path when the file
 * was deleted (git writes `/dev/null` for the missing side).
 */
import { parse } from "diff2html";
import type { DiffFile } from "diff2html/lib/types.js";

/** One changed file of a unified diff. */
export type ParsedDiffFile = {
  /** Repository-relative path (new path; the old one for a deletion). */
  path: string;
  /** Lines added (`+`) and removed (`-`) in its hunks. */
  added: number;
  removed: number;
  /** diff2html's parse of the file, for its renderer. */
  file: DiffFile;
};

/** Strips git's `a/`/`b/` prefix a non-git-aware parse may leave; `/dev/null` stays. */
function cleanPath(name: string): string {
  return name.replace(/^[ab]\//, "");
}

/**
 * Splits a unified diff (git's `diff --git` format or plain `---`/`+++` hunks) into its files.
 * @param unifiedDiff the whole diff text; "" or text without hunks gives [].
 * @returns one entry per file, in the diff's order.
 */
export function parseDiffFiles(unifiedDiff: string): ParsedDiffFile[] {
  if (!unifiedDiff.trim()) return [];
  return parse(unifiedDiff).map((file) => {
    const newName = cleanPath(file.newName ?? "");
    const oldName = cleanPath(file.oldName ?? "");
    const path = file.isDeleted || newName === "/dev/null" || !newName ? oldName : newName;
    return { path, added: file.addedLines, removed: file.deletedLines, file };
  });
}
