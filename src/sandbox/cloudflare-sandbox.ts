/**
 * Workspace adapter for Cloudflare Sandbox containers (`@cloudflare/sandbox`), used when
 * deployed. It cannot run on this machine (no container engine); local mode uses the runner.
 * Files live under /workspace; seeded originals under /opt/sam/base for the diff.
 */
import { getSandbox, type Sandbox } from "@cloudflare/sandbox";
import { normalizeWorkspacePath, WORKSPACE_MOUNT } from "./paths.ts";
import type { RepositoryCloneRequest, RepositoryCloneResult, RepositoryPublishRequest, RepositoryPublishResult } from "./repository.ts";
import {
  EXEC_DEFAULT_MAX_OUTPUT_BYTES,
  EXEC_DEFAULT_TIMEOUT_MS,
  WorkspaceError,
  type DiffResult,
  type ExecOptions,
  type ExecResult,
  type ListResult,
  type SearchResult,
  type Workspace,
} from "./workspace.ts";

const BASE_DIR = "/opt/sam/base";

/** Why a Sandbox container does not clone or push (the credential would be inside the workspace). */
const REPOSITORY_REFUSAL =
  "repositories are not available in Cloudflare Sandbox workspaces yet: cloning there would put the credential inside the workspace; run tasks on repositories with the local runner (SAM_RUNNER_URL)";

/** Quotes a string for bash. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A task's workspace in its own Sandbox container, keyed by the task id. */
export class CloudflareSandboxWorkspace implements Workspace {
  private readonly sandbox: Sandbox;

  constructor(namespace: DurableObjectNamespace<Sandbox>, workspaceId: string) {
    this.sandbox = getSandbox(namespace, workspaceId);
  }

  /** Seeds files and keeps a copy as the diff base. Returns true (containers start empty). */
  async create(files: Record<string, string> = {}): Promise<boolean> {
    for (const [path, content] of Object.entries(files)) await this.write(path, content);
    await this.sandbox.exec(`mkdir -p ${BASE_DIR} && cp -a ${WORKSPACE_MOUNT}/. ${BASE_DIR}/`);
    return true;
  }

  /**
   * Not offered in a Sandbox container: the Sandbox SDK's `gitCheckout` runs git inside the
   * container, where the credential would sit in the workspace's remote URL, readable by the
   * task's commands. Repositories need a runner that clones host-side (the local runner).
   * @throws WorkspaceError `repository_error`, always.
   */
  async cloneRepository(_request: RepositoryCloneRequest): Promise<RepositoryCloneResult> {
    throw new WorkspaceError("repository_error", REPOSITORY_REFUSAL);
  }

  /** Not offered in a Sandbox container (see `cloneRepository`). @throws WorkspaceError `repository_error`, always. */
  async publishRepository(_request: RepositoryPublishRequest): Promise<RepositoryPublishResult> {
    throw new WorkspaceError("repository_error", REPOSITORY_REFUSAL);
  }

  async destroy(): Promise<void> {
    await this.sandbox.destroy();
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const cap = options.maxOutputBytes ?? EXEC_DEFAULT_MAX_OUTPUT_BYTES;
    const timeoutMs = options.timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS;
    const started = Date.now();
    // `timeout` kills the command at its limit; exit code 124 marks it, as in the runner.
    const result = await this.sandbox.exec(`timeout -s KILL ${Math.ceil(timeoutMs / 1000)} bash -c ${shellQuote(command)} 2>&1`, {
      cwd: WORKSPACE_MOUNT,
      signal: options.signal,
    });
    const timedOut = result.exitCode === 124 || result.exitCode === 137;
    const full = result.stdout + result.stderr;
    const truncated = full.length > cap;
    return {
      exitCode: timedOut ? 124 : result.exitCode,
      output: truncated ? `${full.slice(0, cap)}\n[output truncated at ${cap} bytes]` : full,
      truncated,
      timedOut,
      durationMs: Date.now() - started,
    };
  }

  /** Absolute path inside the container, after refusing escapes (also through symlinks). */
  private async resolve(userPath: string): Promise<string> {
    const relative = normalizeWorkspacePath(userPath);
    const absolute = relative ? `${WORKSPACE_MOUNT}/${relative}` : WORKSPACE_MOUNT;
    const real = await this.sandbox.exec(`realpath -m -- ${shellQuote(absolute)}`);
    const resolved = real.stdout.trim();
    if (resolved !== WORKSPACE_MOUNT && !resolved.startsWith(`${WORKSPACE_MOUNT}/`)) {
      throw new WorkspaceError("path_outside_workspace", `"${userPath}" resolves outside the workspace`);
    }
    return absolute;
  }

  async read(path: string): Promise<string> {
    const absolute = await this.resolve(path);
    const exists = await this.sandbox.exists(absolute);
    if (!exists.exists) throw new WorkspaceError("not_found", `${path} does not exist`);
    return (await this.sandbox.readFile(absolute)).content;
  }

  async write(path: string, content: string): Promise<{ bytes: number }> {
    const absolute = await this.resolve(path);
    const parent = absolute.slice(0, absolute.lastIndexOf("/"));
    if (parent) await this.sandbox.mkdir(parent, { recursive: true });
    await this.sandbox.writeFile(absolute, content);
    return { bytes: new TextEncoder().encode(content).byteLength };
  }

  async list(path?: string): Promise<ListResult> {
    const absolute = await this.resolve(path ?? "");
    const limit = 2000;
    const result = await this.sandbox.exec(
      `find ${shellQuote(absolute)} -mindepth 1 \\( -name .git -o -name node_modules \\) -prune -o -printf '%y\\t%s\\t%P\\n' | head -n ${limit + 1}`,
    );
    const lines = result.stdout.split("\n").filter(Boolean);
    const prefix = absolute === WORKSPACE_MOUNT ? "" : `${absolute.slice(WORKSPACE_MOUNT.length + 1)}/`;
    const entries = lines.slice(0, limit).map((line) => {
      const [kind, size, rel] = line.split("\t");
      const type = kind === "d" ? "dir" : kind === "l" ? "symlink" : "file";
      return { path: prefix + rel, type, size: Number(size) } as const;
    });
    return { entries, truncated: lines.length > limit };
  }

  async search(pattern: string, path?: string): Promise<SearchResult> {
    const absolute = await this.resolve(path ?? "");
    const limit = 500;
    const result = await this.sandbox.exec(
      `grep -rnEI --exclude-dir=.git --exclude-dir=node_modules -e ${shellQuote(pattern)} -- ${shellQuote(absolute)} | head -n ${limit + 1}`,
    );
    const lines = result.stdout.split("\n").filter(Boolean);
    const matches = lines.slice(0, limit).flatMap((line) => {
      const match = /^(.*?):(\d+):(.*)$/.exec(line);
      if (!match) return [];
      return [{ path: match[1].slice(WORKSPACE_MOUNT.length + 1), line: Number(match[2]), text: match[3] }];
    });
    return { matches, truncated: lines.length > limit };
  }

  async diff(): Promise<DiffResult> {
    const result = await this.sandbox.exec(`cd /opt/sam && git diff --no-index --no-color base ${WORKSPACE_MOUNT} || true`);
    return { diff: result.stdout, changedFiles: await this.changedFiles() };
  }

  async changedFiles(): Promise<string[]> {
    const changed = await this.sandbox.exec(`cd /opt/sam && git diff --no-index --name-only base ${WORKSPACE_MOUNT} || true`);
    const paths = changed.stdout
      .split("\n")
      .filter(Boolean)
      .map((p) => p.replace(/^(base|\/?workspace)\//, ""));
    return [...new Set(paths)].sort();
  }
}
