/** What a project page shows once the server says one is no longer a member (removed, or the project is gone). */
import { Link, paths } from "../lib/router.tsx";

/** The "no longer have access" notice, with a way back to one's projects. */
export function LostAccess({ projectId }: { projectId: string }) {
  return (
    <div className="page narrow">
      <div className="card" role="alert" data-testid="project-access-lost">
        <h1>You no longer have access to this project</h1>
        <p>
          You were removed from project <span className="mono">{projectId}</span> (or it no longer exists), so its live updates have
          stopped. Ask one of its owners to add you again if you need it.
        </p>
        <Link to={paths.projects()}>Back to your projects</Link>
      </div>
    </div>
  );
}
