/** The page for unknown paths. */
import { Link, paths } from "../lib/router.tsx";

/** Says the page does not exist and links home. */
export function NotFound() {
  return (
    <div className="page narrow">
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <Link to={paths.projects()}>Back to projects</Link>
      </p>
    </div>
  );
}
