/**
 * The project repository's credential (issue 16), owners only:
 * PUT    /api/projects/:projectId/repository-credential {token} → 200 {repository} (the token sealed, shown only as its last 4 characters);
 * PUT    /api/projects/:projectId/repository-credential {installationId} → 200 {repository} (SAM's GitHub App installation;
 *        an admin's only, 403 otherwise: the App may be installed on other owners' repositories too; it must be the App's
 *        installation on the project's repository and mint a token for it: 400 naming GitHub's answer otherwise);
 * DELETE /api/projects/:projectId/repository-credential        → 200 {deleted}.
 * The repository itself is set with `PATCH /api/projects/:projectId {repository}` (projects.ts).
 */
import { getAgentByName } from "agents";
import { Hono } from "hono";
import { checkRepositoryInstallation, githubAppConfig, GitHubAppError, installationToken } from "../../actors/project/github-app.ts";
import { githubRepoOf, repositoryCredentialRequestSchema, type RepositoryView } from "../../shared/repository.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { projectParam } from "../guards.ts";
import { apiError, encryptionRefusal, parseJsonBody } from "../http.ts";

/** Routes of the repository credential. */
export const repositoryRoutes = new Hono<AuthedEnv>();

repositoryRoutes.put("/api/projects/:projectId/repository-credential", requireUser, async (c) => {
  const project = await projectParam(c, "own");
  if (!project.ok) return project.response;
  const body = await parseJsonBody(c, repositoryCredentialRequestSchema);
  if (!body.ok) return body.response;
  const { token, installationId } = body.value;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  if (installationId !== undefined) {
    if (c.get("user").role !== "admin") return apiError(c, 403, "forbidden", "only an admin may make a GitHub App installation a project's credential (SAM's App may be installed on other owners' repositories too)");
    const app = githubAppConfig(c.env);
    if (!app) return apiError(c, 400, "invalid_input", "this SAM has no GitHub App (GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY): give a fine-grained token instead");
    const current = (await actor.getRepository()) as RepositoryView | null;
    const repository = current ? githubRepoOf(current.url) : null;
    if (!repository) return apiError(c, 400, "invalid_input", "the project names no repository: set one first with PATCH /api/projects/:projectId {repository: {url, defaultBranch}}");
    try {
      await checkRepositoryInstallation(app, installationId, repository);
      await installationToken(app, installationId, repository);
    } catch (error) {
      if (error instanceof GitHubAppError) return apiError(c, 400, "invalid_input", error.message);
      throw error;
    }
  } else {
    const refused = await encryptionRefusal(c, c.env.ENCRYPTION_KEY);
    if (refused) return refused;
  }
  const credential = installationId !== undefined ? { installationId } : { token: token ?? "" };
  const repository = (await actor.setRepositoryCredential(credential)) as RepositoryView | null;
  if (!repository) return apiError(c, 400, "invalid_input", "the project names no repository: set one first with PATCH /api/projects/:projectId {repository: {url, defaultBranch}}");
  return c.json({ repository });
});

repositoryRoutes.delete("/api/projects/:projectId/repository-credential", requireUser, async (c) => {
  const project = await projectParam(c, "own");
  if (!project.ok) return project.response;
  const actor = await getAgentByName(c.env.ProjectAgent, project.projectId);
  return c.json({ deleted: await actor.deleteRepositoryToken() });
});
