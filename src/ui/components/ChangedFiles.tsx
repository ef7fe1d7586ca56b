/**
 * What a task changed, file by file: the task's unified diff (`GET /api/tasks/:id/diff`)
 * rendered with diff2html (src/render/diff.ts), each changed file a collapsible section with its
 * added/removed counts, line-by-line or side by side, and a button to see the whole file as it
 * is now. The diff is fetched again when the set of changed files or the task's status changes.
 * The diff renderer (diff2html) is loaded on first use, so it stays out of the main bundle.
 */
import { useEffect, useMemo, useState } from "react";
import type { RenderedDiffFile, renderDiff } from "../../render/diff.ts";
import { errorMessage, getTaskDiff, getTaskFile } from "../lib/api.ts";
import { FormError } from "./FormError.tsx";
import { useRenderStyles } from "./Markdown.tsx";

type Layout = "line-by-line" | "side-by-side";
/** Sections open at first; the rest start collapsed so a large change stays quick to scan. */
const OPEN_AT_FIRST = 5;

/** Lists `files` of task `taskId` with their diffs; `status` (the task's) triggers a refetch when it changes. */
export function ChangedFiles({ taskId, files, status }: { taskId: string; files: string[]; status?: string }) {
  useRenderStyles();
  const [diff, setDiff] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [layout, setLayout] = useState<Layout>("line-by-line");
  const [render, setRender] = useState<typeof renderDiff | null>(null);
  const fileKey = files.join("\n");

  useEffect(() => {
    let live = true;
    import("../../render/diff.ts")
      .then((module) => live && setRender(() => module.renderDiff))
      .catch((err: unknown) => live && setError(`Could not load the diff view: ${errorMessage(err)}`));
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    getTaskDiff(taskId, abort.signal)
      .then((result) => setDiff(result.diff))
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setError(`Could not load the diff: ${errorMessage(err)}`);
      });
    return () => abort.abort();
  }, [taskId, fileKey, status]);

  const rendered = useMemo(() => (diff === null || render === null ? null : render(diff, { outputFormat: layout })), [diff, layout, render]);
  const byPath = useMemo(() => new Map((rendered ?? []).map((f) => [f.path, f])), [rendered]);
  // Every changed file, in the task's order, plus any the diff names that the list does not.
  const paths = useMemo(() => [...files, ...(rendered ?? []).map((f) => f.path).filter((p) => !files.includes(p))], [files, rendered]);

  return (
    <section className="card changed-files" data-testid="changed-files">
      <div className="render-diff-toolbar">
        <h2>Changed files ({paths.length})</h2>
        <label className="small render-diff-toggle">
          <input
            type="checkbox"
            checked={layout === "side-by-side"}
            onChange={(e) => setLayout(e.target.checked ? "side-by-side" : "line-by-line")}
            data-testid="diff-side-by-side"
          />{" "}
          Side by side
        </label>
      </div>
      <FormError message={error} />
      {rendered === null && !error && <p className="muted">Loading the diff…</p>}
      {paths.map((path, index) => (
        <FileSection key={path} taskId={taskId} path={path} rendered={byPath.get(path)} loaded={rendered !== null} open={index < OPEN_AT_FIRST} />
      ))}
    </section>
  );
}

type Content = { text: string | null; error: string | null };

/** One changed file: its counts, its diff, and its whole content on demand. */
function FileSection({ taskId, path, rendered, loaded, open }: { taskId: string; path: string; rendered: RenderedDiffFile | undefined; loaded: boolean; open: boolean }) {
  const [content, setContent] = useState<Content | null>(null);

  const toggleContent = async () => {
    if (content) {
      setContent(null);
      return;
    }
    setContent({ text: null, error: null });
    try {
      setContent({ text: await getTaskFile(taskId, path), error: null });
    } catch (err) {
      setContent({ text: null, error: errorMessage(err) });
    }
  };

  return (
    <details className="render-diff-file" data-testid="diff-file" data-path={path} open={open}>
      <summary>
        <span className="mono render-diff-path">{path}</span>
        {rendered && (
          <span className="render-diff-counts small">
            <span className="render-diff-added" data-testid="diff-added">
              +{rendered.added}
            </span>{" "}
            <span className="render-diff-removed" data-testid="diff-removed">
              −{rendered.removed}
            </span>
          </span>
        )}
      </summary>
      <div className="render-diff-actions">
        <button type="button" className="link-button small" onClick={() => void toggleContent()} data-testid="diff-view-file">
          {content ? "Hide whole file" : "View whole file"}
        </button>
      </div>
      {content && (
        <div className="file-view">
          <FormError message={content.error} />
          {content.text === null && !content.error && <p className="muted">Loading…</p>}
          {content.text !== null && (
            <pre className="output" data-testid="diff-file-content">
              {content.text}
            </pre>
          )}
        </div>
      )}
      {rendered ? (
        // Safe: renderDiff returns DOMPurify-sanitised diff2html markup.
        <div className="render-diff" data-testid="diff-view" dangerouslySetInnerHTML={{ __html: rendered.html }} />
      ) : (
        loaded && <p className="muted small">No line changes to show (a binary file, a mode change, or too large to diff).</p>
      )}
    </details>
  );
}
