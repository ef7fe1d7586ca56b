/**
 * The repository part of the workspace port (issue 16): a workspace made as a clone of a
 * repository, and its changes committed and pushed, both host-side so that the workspace never
 * has network or the credential. Served by the local runner (`runner/repo-workspace.ts`);
 * the Cloudflare Sandbox adapter refuses them (see `cloudflare-sandbox.ts`).
 */

/** What {@link RepositoryWorkspace.cloneRepository} takes. */
export interface RepositoryCloneRequest {
  /** The repository (plain https URL, no credential). */
  url: string;
  /** Branch, tag or commit to start from. */
  ref: string;
  /** The branch to create and work on (`sam/<taskId>` or `sam/<missionId>`). */
  branch: string;
  /** Start from `branch` on the remote when it exists there (a mission's shared branch). */
  resumeBranch?: boolean;
  /** The cache to use: the project's id (clones are cached per project). */
  cacheKey: string;
  /** The credential, used host-side for this request only. */
  token?: string;
  /** Files written over the clone (they show as changes). */
  files?: Record<string, string>;
}

/** The workspace as cloned: the commit it starts at, its branch, whether it was made now. */
export interface RepositoryCloneResult {
  created: boolean;
  commit: string;
  branch: string;
}

/** A git identity: `{name, email}`. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** What {@link RepositoryWorkspace.publishRepository} takes. */
export interface RepositoryPublishRequest {
  url: string;
  /** The commit message. */
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
  token?: string;
  /** Where the change goes when it conflicts with what others pushed to the workspace's branch meanwhile (a mission task's own `sam/<taskId>`). */
  fallbackBranch?: string;
}

/**
 * The pushed commit (null: nothing changed, nothing pushed) and the branch it is on;
 * `replayedOnto`: the new tip of a branch that moved meanwhile, which the change was replayed
 * onto (else null); `conflictedWith`: the branch the change conflicted with, when it went to the
 * fallback branch instead (else null).
 */
export interface RepositoryPublishResult {
  commit: string | null;
  pushed: boolean;
  branch: string;
  replayedOnto: string | null;
  conflictedWith: string | null;
}

/** The repository operations of a leased workspace. Errors are `WorkspaceError`s (`repository_error` for git failures). */
export interface RepositoryWorkspace {
  /** Creates the workspace as a shallow clone (idempotent: an existing clone is kept and described). */
  cloneRepository(request: RepositoryCloneRequest): Promise<RepositoryCloneResult>;
  /** Commits the workspace's changes host-side and pushes its branch (idempotent). */
  publishRepository(request: RepositoryPublishRequest): Promise<RepositoryPublishResult>;
}
