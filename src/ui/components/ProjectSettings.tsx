/**
 * Project settings: the tech lead's model (a model id; `scripted` takes a script, checked
 * before sending) saved with `PATCH /api/projects/:id`, the project's model settings (payer-mode
 * override, default task budget), its repository and credential (owners change them), and the
 * project's limits shown.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { TechLeadSettings } from "../../shared/project-settings.ts";
import { getProject, listModels, updateProject, type ModelInfo, type ProjectDetails } from "../lib/api.ts";
import { formatDuration } from "../lib/format.ts";
import { checkScript } from "../lib/script.ts";
import { useProjectAccess } from "../lib/projectAccess.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { useSaving } from "../lib/useSaving.ts";
import { FormError } from "./FormError.tsx";
import { ProjectModelSettingsSection } from "./ProjectModelSettings.tsx";
import { RepositorySettings } from "./RepositorySettings.tsx";

/** The settings card of `projectId`. */
export function ProjectSettings({ projectId }: { projectId: string }) {
  const project = useLoader((signal) => getProject(projectId, signal), [projectId]);
  const models = useLoader(() => listModels(), []);
  const access = useProjectAccess();
  return (
    <section className="card project-settings" data-testid="project-settings">
      <h2>Project settings</h2>
      <FormError message={project.error} prefix="Could not load the settings" />
      {project.loading && !project.data && <p className="muted">Loading…</p>}
      {project.data && (
        <>
          <TechLeadForm projectId={projectId} project={project.data} models={models.data ?? []} onSaved={project.setData} />
          <ProjectModelSettingsSection projectId={projectId} />
          <RepositorySettings
            projectId={projectId}
            repository={project.data.repository}
            canEdit={access.isOwner}
            onChanged={(repository) => project.setData((current) => current && { ...current, repository })}
          />
          <p className="muted small" data-testid="project-limits">
            Limits: child depth {project.data.limits.maxDepth} · {project.data.limits.maxChildren} children per task ·{" "}
            {project.data.limits.maxConcurrentTasks} mission tasks at once · check-in after {formatDuration(project.data.limits.silenceMs)} of silence
          </p>
        </>
      )}
    </section>
  );
}

type FormProps = { projectId: string; project: ProjectDetails; models: ModelInfo[]; onSaved: (project: ProjectDetails) => void };

function TechLeadForm({ projectId, project, models, onSaved }: FormProps) {
  const [model, setModel] = useState(project.techLead?.model ?? "");
  const [script, setScript] = useState(project.techLead?.script ? JSON.stringify(project.techLead.script, null, 2) : "");
  const [saved, setSaved] = useState(false);
  const { busy, error, setError, run } = useSaving();

  useEffect(() => setSaved(false), [model, script]);

  const save = async (techLead: TechLeadSettings | null) => {
    if (await run(async () => onSaved(await updateProject(projectId, { techLead })))) setSaved(true);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    if (!model.trim()) {
      setError("Write a model id (e.g. scripted).");
      return;
    }
    const checked = checkScript(script);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    void save(checked.steps ? { model: model.trim(), script: checked.steps } : { model: model.trim() });
  };

  return (
    <form onSubmit={submit}>
      <label htmlFor="tech-lead-model">Tech lead model</label>
      <input
        id="tech-lead-model"
        data-testid="tech-lead-model-input"
        list="tech-lead-models"
        placeholder="Not set: the tech lead does not answer"
        value={model}
        onChange={(e) => setModel(e.target.value)}
      />
      <datalist id="tech-lead-models">
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.label}
          </option>
        ))}
      </datalist>
      <label htmlFor="tech-lead-script">
        Script <span className="muted small">(for the scripted model: a JSON array of steps)</span>
      </label>
      <textarea
        id="tech-lead-script"
        data-testid="tech-lead-script-input"
        className="mono"
        rows={4}
        spellCheck={false}
        value={script}
        onChange={(e) => setScript(e.target.value)}
      />
      <FormError message={error} testId="tech-lead-error" />
      <div className="row">
        <button type="submit" data-testid="tech-lead-save-button" disabled={busy}>
          {busy ? "Saving…" : "Save tech lead"}
        </button>
        {project.techLead && (
          <button type="button" className="danger" data-testid="tech-lead-clear-button" disabled={busy} onClick={() => void save(null)}>
            Remove tech lead
          </button>
        )}
        {saved && (
          <span className="muted small" data-testid="tech-lead-saved" role="status">
            Saved.
          </span>
        )}
      </div>
    </form>
  );
}
