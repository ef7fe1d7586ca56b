/**
 * A project's repository, inside its settings panel (issue 16): the GitHub repository its tasks
 * clone and open pull requests on, and its credential. Everyone who opens the settings sees them
 * (the credential only as its last four characters, or as SAM's GitHub App installation); the
 * project's owners change them: the URL and default branch saved with `PATCH /api/projects/:id
 * {repository}` (a new URL drops the credential, as the API does), a fine-grained token with
 * `PUT .../repository-credential {token}` (never shown again), and either removed.
 */
import { useState, type FormEvent } from "react";
import type { RepositoryView } from "../../shared/repository.ts";
import { updateProject } from "../lib/api.ts";
import { deleteRepositoryCredential, putRepositoryToken } from "../lib/repositoryApi.ts";
import { useSaving } from "../lib/useSaving.ts";
import { FormError } from "./FormError.tsx";

type Props = {
  projectId: string;
  repository: RepositoryView | null;
  /** Whether the person may change it (the project's owner). */
  canEdit: boolean;
  onChanged: (repository: RepositoryView | null) => void;
};

/** What the stored credential is, in words. */
function credentialText(repository: RepositoryView): string {
  const credential = repository.credential;
  if (!credential) return "no credential: tasks can clone a public repository but not push or open pull requests";
  return credential.kind === "github-token" ? `a GitHub token ending in ${credential.last4}` : `SAM's GitHub App, installation ${credential.installationId}`;
}

/** The repository section of the settings of `projectId`. */
export function RepositorySettings({ projectId, repository, canEdit, onChanged }: Props) {
  return (
    <div className="repository-settings" data-testid="repository-settings">
      <h3>Repository</h3>
      {repository ? (
        <p className="muted small" data-testid="repository-current">
          Tasks with <code>repo</code> clone <a href={repository.url} target="_blank" rel="noopener noreferrer">{repository.url}</a> at{" "}
          <code>{repository.defaultBranch}</code>; credential: <span data-testid="repository-credential">{credentialText(repository)}</span>.
        </p>
      ) : (
        <p className="muted small" data-testid="repository-current">
          No repository: tasks work in a workspace of their own files.
        </p>
      )}
      {canEdit ? (
        <>
          <RepositoryForm projectId={projectId} repository={repository} onChanged={onChanged} />
          {repository && <CredentialForm projectId={projectId} repository={repository} onChanged={onChanged} />}
        </>
      ) : (
        <p className="muted small">Only the project's owners change the repository.</p>
      )}
    </div>
  );
}

type FormProps = { projectId: string; repository: RepositoryView | null; onChanged: (repository: RepositoryView | null) => void };

function RepositoryForm({ projectId, repository, onChanged }: FormProps) {
  const [url, setUrl] = useState(repository?.url ?? "");
  const [branch, setBranch] = useState(repository?.defaultBranch ?? "main");
  // "Saved." stands while the fields hold what was saved (editing them takes it away).
  const [savedFields, setSavedFields] = useState<string | null>(null);
  const { busy, error, setError, run } = useSaving();
  const fields = (u: string, b: string) => `${u}\n${b}`;
  const saved = savedFields === fields(url, branch);

  const save = (next: { url: string; defaultBranch: string } | null) =>
    run(async () => {
      onChanged((await updateProject(projectId, { repository: next })).repository);
      const shown = next ? { url: next.url, branch: next.defaultBranch } : { url: "", branch: "main" };
      setUrl(shown.url);
      setBranch(shown.branch);
      setSavedFields(fields(shown.url, shown.branch));
    });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (!url.trim()) {
      setError("Write the repository's https URL, e.g. https://github.com/acme/widgets.");
      return;
    }
    void save({ url: url.trim(), defaultBranch: branch.trim() || "main" });
  };

  return (
    <form onSubmit={submit}>
      <label htmlFor="repository-url">Repository URL</label>
      <input id="repository-url" data-testid="repository-url-input" placeholder="https://github.com/owner/repo" value={url} onChange={(e) => setUrl(e.target.value)} />
      <label htmlFor="repository-branch">Default branch</label>
      <input id="repository-branch" data-testid="repository-branch-input" value={branch} onChange={(e) => setBranch(e.target.value)} />
      <FormError message={error} testId="repository-error" />
      <div className="row">
        <button type="submit" data-testid="repository-save-button" disabled={busy}>
          {busy ? "Saving…" : "Save repository"}
        </button>
        {repository && (
          <button type="button" className="secondary" data-testid="repository-remove-button" disabled={busy} onClick={() => void save(null)}>
            Remove repository
          </button>
        )}
        {saved && (
          <span className="muted small" data-testid="repository-saved" role="status">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}

function CredentialForm({ projectId, repository, onChanged }: { projectId: string; repository: RepositoryView; onChanged: (repository: RepositoryView | null) => void }) {
  const [token, setToken] = useState("");
  const { busy, error, setError, run } = useSaving();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (!token.trim()) {
      setError("Paste a fine-grained GitHub token with contents and pull requests, read and write.");
      return;
    }
    if (await run(async () => onChanged(await putRepositoryToken(projectId, token.trim())))) setToken("");
  };

  const remove = () =>
    run(async () => {
      await deleteRepositoryCredential(projectId);
      onChanged({ ...repository, credential: null });
    });

  return (
    <form onSubmit={submit}>
      <label htmlFor="repository-token">GitHub token</label>
      <input
        id="repository-token"
        data-testid="repository-token-input"
        type="password"
        autoComplete="off"
        placeholder={repository.credential ? "replace the stored credential" : "github_pat_…"}
        value={token}
        onChange={(e) => setToken(e.target.value)}
      />
      <FormError message={error} testId="repository-credential-error" />
      <div className="row">
        <button type="submit" data-testid="repository-token-save-button" disabled={busy}>
          {busy ? "Saving…" : "Save token"}
        </button>
        {repository.credential && (
          <button type="button" className="secondary" data-testid="repository-credential-remove-button" disabled={busy} onClick={() => void remove()}>
            Remove credential
          </button>
        )}
      </div>
    </form>
  );
}
