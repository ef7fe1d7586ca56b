/** The sessions of a project: links to each, and a button to create one. */
import { useState, type FormEvent } from "react";
import type { ChatSession, SessionKind } from "../../shared/protocol.ts";
import { createSession, errorMessage } from "../lib/api.ts";
import { useCanWrite } from "../lib/projectAccess.tsx";
import { Link, paths } from "../lib/router.tsx";
import { FormError } from "./FormError.tsx";

type Props = {
  projectId: string;
  sessions: ChatSession[] | undefined;
  error: string | null;
  selectedId: string | null;
  onCreated: (session: ChatSession) => void;
  onSelect: () => void;
};

/** Lists sessions (the selected one highlighted, tech-lead and voice ones tagged) with a create form on top (not for viewers). */
export function SessionList({ projectId, sessions, error, selectedId, onCreated, onSelect }: Props) {
  const [title, setTitle] = useState("");
  const [kind, setKind] = useState<SessionKind>("chat");
  const [busy, setBusy] = useState(false);
  const [createError, setCreateError] = useState<string | null>(null);
  const canWrite = useCanWrite();

  const create = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setCreateError(null);
    try {
      const created = await createSession(projectId, title.trim() || undefined, kind);
      setTitle("");
      onCreated({ ...created, messageCount: 0 });
    } catch (err) {
      setCreateError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="sessions">
      <h2>Sessions</h2>
      {canWrite && (
        <form className="session-create" onSubmit={create}>
          <input
            aria-label="New session title (optional)"
            data-testid="session-title-input"
            placeholder="Title (optional)"
            value={title}
            maxLength={200}
            onChange={(e) => setTitle(e.target.value)}
          />
          <select
            aria-label="Session kind"
            data-testid="session-kind-select"
            value={kind}
            onChange={(e) => setKind(e.target.value === "tech-lead" ? "tech-lead" : "chat")}
          >
            <option value="chat" title="The tech lead answers messages with @lead">Chat</option>
            <option value="tech-lead" title="The tech lead answers every message">Tech lead</option>
          </select>
          <button type="submit" data-testid="session-create-button" disabled={busy}>
            {busy ? "…" : "New session"}
          </button>
        </form>
      )}
      <FormError message={createError} />
      <FormError message={error} prefix="Could not load sessions" />
      {sessions && sessions.length === 0 && <p className="muted small">No sessions yet.</p>}
      <ul className="session-list">
        {sessions?.map((session) => (
          <li key={session.id}>
            <Link
              to={paths.session(projectId, session.id)}
              data-testid="session-link"
              className={`session-link${session.id === selectedId ? " selected" : ""}`}
              aria-current={session.id === selectedId ? "page" : undefined}
              onClick={onSelect}
            >
              <span className="session-title">{session.title || "Untitled"}</span>
              {session.kind === "tech-lead" && (
                <span className="chip" data-testid="session-kind-lead" title="The tech lead answers every message">
                  lead
                </span>
              )}
              {session.kind === "voice" && (
                <span className="chip" data-testid="session-kind-voice" title="A voice conversation with the tech lead (Talk)">
                  voice
                </span>
              )}
              <span className="count" title="messages">
                {session.messageCount}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
