/**
 * A project's repository and a task's work on it (issue 16, "Repositories"): the project's
 * `repository` setting (`PATCH /api/projects/:projectId`), its GitHub credential
 * (`PUT /api/projects/:projectId/repository-credential`), a task's or mission task's
 * `repo?: {ref?, branch?}`, and the task view's `repo`. A leaf module (zod only).
 */
import { z } from "zod";

/** Longest repository URL accepted, in characters. */
export const MAX_REPOSITORY_URL_LENGTH = 2048;

/**
 * What is wrong with a git ref or branch name, in words, or null when it is fine. The rules are
 * git's own (`git check-ref-format`): no control characters, space, `~ ^ : ? * [ \`, no `..`,
 * no `@{`, no segment starting with `.` or ending with `.lock`, no leading `-` or `/`, no
 * trailing `/` or `.`, no `//`.
 */
export function refNameProblem(name: string): string | null {
  const shown = JSON.stringify(name);
  if (name.length === 0 || name.length > 255) return `ref ${shown} must be 1 to 255 characters`;
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(name)) return `ref ${shown} contains a space, a control character or one of ~ ^ : ? * [ \\`;
  if (name.includes("..") || name.includes("@{") || name.includes("//")) return `ref ${shown} contains '..', '@{' or '//'`;
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".") || name === "@") return `ref ${shown} starts with '-' or '/', or ends with '/' or '.'`;
  if (name.split("/").some((s) => s.startsWith(".") || s.endsWith(".lock"))) return `ref ${shown} has a segment starting with '.' or ending with '.lock'`;
  return null;
}

/** A git ref (branch, tag or commit id) as {@link refNameProblem} allows. */
export const refNameSchema = z.string().superRefine((name, ctx) => {
  const problem = refNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * What is wrong with a repository URL, or null: it must be an absolute `https:` or `http:` URL
 * without a user name or password (the credential is set apart, never in a URL), a query or a
 * fragment, naming a path (`https://github.com/<owner>/<repo>`).
 */
export function repositoryUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "repository url must be an absolute URL such as https://github.com/owner/repo";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "repository url must use https: (or http:)";
  if (url.username !== "" || url.password !== "") return "repository url may not carry a user name or password; set the credential with PUT .../repository-credential";
  if (url.search !== "" || url.hash !== "") return "repository url may not have a query or a fragment";
  if (url.pathname.split("/").filter((s) => s !== "").length < 2) return "repository url must name <owner>/<repo>";
  return null;
}

/** The repository of a project: `{url, defaultBranch}` (defaultBranch defaults to `main`). */
export const repositorySettingSchema = z
  .object({
    url: z
      .string()
      .max(MAX_REPOSITORY_URL_LENGTH)
      .superRefine((url, ctx) => {
        const problem = repositoryUrlProblem(url);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    defaultBranch: refNameSchema.default("main"),
  })
  .strict();
/** `{url, defaultBranch}`. */
export type RepositorySetting = z.infer<typeof repositorySettingSchema>;

/**
 * How the project's credential is shown, never itself: a token as its last four characters, a
 * GitHub App installation as its id (SAM mints the installation's short-lived tokens itself).
 */
export const repositoryCredentialViewSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("github-token"), last4: z.string() }),
  z.object({ kind: z.literal("github-app"), installationId: z.number().int().positive() }),
]);
/** `{kind: "github-token", last4}` or `{kind: "github-app", installationId}`. */
export type RepositoryCredentialView = z.infer<typeof repositoryCredentialViewSchema>;

/** The project's repository as `GET /api/projects/:projectId` shows it (null: none). */
export const repositoryViewSchema = z.object({
  url: z.string(),
  defaultBranch: z.string(),
  credential: repositoryCredentialViewSchema.nullable(),
});
/** `{url, defaultBranch, credential: {kind, last4} | null}`. */
export type RepositoryView = z.infer<typeof repositoryViewSchema>;

/** Longest credential accepted (GitHub's fine-grained tokens are 93 characters). */
export const MAX_REPOSITORY_TOKEN_LENGTH = 1024;

/**
 * `PUT /api/projects/:projectId/repository-credential` body: `{token}` (a fine-grained token:
 * printable ASCII, no spaces) or `{installationId}` (the id of the SAM GitHub App's installation on
 * the repository's owner: a positive integer), exactly one of them.
 */
export const repositoryCredentialRequestSchema = z
  .object({
    token: z
      .string()
      .min(8)
      .max(MAX_REPOSITORY_TOKEN_LENGTH)
      .regex(/^[\x21-\x7e]+$/, "token must be printable ASCII without spaces")
      .optional(),
    installationId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .refine((body) => (body.token === undefined) !== (body.installationId === undefined), "give exactly one of token (a fine-grained token) and installationId (a GitHub App installation)");
/** `{token?, installationId?}`, exactly one set; see {@link repositoryCredentialRequestSchema}. */
export type RepositoryCredentialRequest = z.infer<typeof repositoryCredentialRequestSchema>;

/**
 * A task's work on its project's repository: `ref` (branch, tag or commit to start from; the
 * project's default branch when absent) and `branch` (`"shared"` on a mission's task: the
 * mission's tasks share the branch `sam/<missionId>`; otherwise the task's own `sam/<taskId>`).
 */
export const taskRepoRequestSchema = z
  .object({
    ref: refNameSchema.optional(),
    branch: z.enum(["shared", "own"]).optional(),
  })
  .strict();
/** `{ref?, branch?}`. */
export type TaskRepoRequest = z.infer<typeof taskRepoRequestSchema>;

/** A task's repository outcome in its view (`repo`; null for a task without `repo`). */
export const taskRepoViewSchema = z.object({
  /** The branch the task works on (`sam/<taskId>` or `sam/<missionId>`). */
  branch: z.string(),
  /** The commit SAM made and pushed; null until then, or when the task changed nothing. */
  commit: z.string().nullable(),
  pullRequest: z.object({ number: z.number().int(), url: z.string() }).nullable(),
  /** Why the commit, push or pull request failed (the task's own outcome is unchanged). */
  error: z.string().nullable(),
});
/** `{branch, commit, pullRequest: {number, url} | null, error}`. */
export type TaskRepoView = z.infer<typeof taskRepoViewSchema>;

/**
 * The GitHub `{owner, repo}` a repository URL names: its last two path segments, `.git` dropped
 * (`https://github.com/acme/widgets.git` → acme/widgets). Null when it has fewer.
 */
export function githubRepoOf(url: string): { owner: string; repo: string } | null {
  let parts: string[];
  try {
    parts = new URL(url).pathname.split("/").filter((s) => s !== "");
  } catch {
    return null;
  }
  if (parts.length < 2) return null;
  const owner = decodeURIComponent(parts[parts.length - 2]);
  const repo = decodeURIComponent(parts[parts.length - 1]).replace(/\.git$/, "");
  return owner && repo ? { owner, repo } : null;
}
