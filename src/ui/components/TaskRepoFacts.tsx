/**
 * A task's work on its project's repository (issue 16) as facts of the task page: the branch,
 * the pushed commit, the pull request's link and what failed. Renders nothing for a task
 * without `repo`.
 */
import type { TaskView } from "../../shared/protocol.ts";

/** Only http(s) links are rendered as links (a view is data, not markup). */
function safeHref(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Takes the task view's `repo`; returns `<div><dt/><dd/></div>` facts for a `<dl>`, or null. */
export function TaskRepoFacts({ repo }: { repo: TaskView["repo"] }) {
  if (!repo) return null;
  const href = repo.pullRequest ? safeHref(repo.pullRequest.url) : null;
  return (
    <>
      <div>
        <dt>Branch</dt>
        <dd className="mono" data-testid="task-repo-branch">
          {repo.branch}
          {repo.commit ? ` @ ${repo.commit.slice(0, 12)}` : ""}
        </dd>
      </div>
      {repo.pullRequest && (
        <div>
          <dt>Pull request</dt>
          <dd data-testid="task-repo-pr">
            {href ? (
              <a href={href} target="_blank" rel="noopener noreferrer">
                #{repo.pullRequest.number}
              </a>
            ) : (
              `#${repo.pullRequest.number}`
            )}
          </dd>
        </div>
      )}
      {repo.error && (
        <div>
          <dt>Repository</dt>
          <dd className="error" data-testid="task-repo-error">
            {repo.error}
          </dd>
        </div>
      )}
    </>
  );
}
