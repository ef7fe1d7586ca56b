/** The files a task changed; each can be opened to show its content. */
import { useState } from "react";
import { errorMessage, getTaskFile } from "../lib/api.ts";
import { FormError } from "./FormError.tsx";

type Opened = { path: string; content: string | null; error: string | null };

/** Lists `files` of task `taskId` and shows the one picked. */
export function ChangedFiles({ taskId, files }: { taskId: string; files: string[] }) {
  const [opened, setOpened] = useState<Opened | null>(null);

  const open = async (path: string) => {
    if (opened?.path === path) {
      setOpened(null);
      return;
    }
    setOpened({ path, content: null, error: null });
    try {
      const content = await getTaskFile(taskId, path);
      setOpened((o) => (o?.path === path ? { path, content, error: null } : o));
    } catch (err) {
      setOpened((o) => (o?.path === path ? { path, content: null, error: errorMessage(err) } : o));
    }
  };

  return (
    <section className="card">
      <h2>Changed files</h2>
      <ul className="file-list">
        {files.map((path) => (
          <li key={path}>
            <button
              type="button"
              className={`link-button mono${opened?.path === path ? " selected" : ""}`}
              onClick={() => void open(path)}
            >
              {path}
            </button>
          </li>
        ))}
      </ul>
      {opened && (
        <div className="file-view">
          <div className="muted small mono">{opened.path}</div>
          <FormError message={opened.error} />
          {opened.content === null && !opened.error && <p className="muted">Loading…</p>}
          {opened.content !== null && <pre className="output">{opened.content}</pre>}
        </div>
      )}
    </section>
  );
}
