/** `/`: the list of projects and a form to create one. */
import { createProject, listProjects, type Project } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { Link, paths } from "../lib/router.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { useTextSubmit } from "../lib/useTextSubmit.ts";
import { FormError } from "./FormError.tsx";

/** The projects page. */
export function ProjectsPage() {
  const projects = useLoader(() => listProjects(), []);

  const added = (project: Project) =>
    projects.setData((list) => [project, ...(list ?? []).filter((p) => p.id !== project.id)]);

  return (
    <div className="page narrow">
      <h1>Projects</h1>
      <CreateProjectForm onCreated={added} />
      <FormError message={projects.error} prefix="Could not load projects" />
      {projects.loading && !projects.data && <p className="muted">Loading…</p>}
      {projects.data && projects.data.length === 0 && <p className="muted">No projects yet. Create one above.</p>}
      {projects.data && projects.data.length > 0 && (
        <ul className="list card">
          {projects.data.map((project) => (
            <li key={project.id} className="list-row">
              <Link to={paths.project(project.id)} data-testid="project-link" className="list-title">
                {project.name}
              </Link>
              <span className="muted small">{formatTime(project.createdAt)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CreateProjectForm({ onCreated }: { onCreated: (project: Project) => void }) {
  const { text: name, setText: setName, busy, error, submit } = useTextSubmit(async (trimmed) => onCreated(await createProject(trimmed)));

  return (
    <form className="card form-inline" onSubmit={submit}>
      <label htmlFor="project-name" className="visually-hidden">
        Project name
      </label>
      <input
        id="project-name"
        data-testid="project-name-input"
        placeholder="New project name"
        value={name}
        maxLength={200}
        onChange={(e) => setName(e.target.value)}
      />
      <button type="submit" data-testid="project-create-button" disabled={busy || !name.trim()}>
        {busy ? "Creating…" : "Create project"}
      </button>
      <FormError message={error} />
    </form>
  );
}
