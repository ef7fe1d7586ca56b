/**
 * Runs one workspace command, isolated with bubblewrap (docs/architecture.md §4): only the workspace is
 * writable (at /workspace), the system's /usr, /bin, /lib and a minimal /etc are read-only,
 * nothing else of the host is visible, no network unless the workspace allows it, separate
 * PID/IPC/UTS/user namespaces, prlimit resource limits, a wall-clock timeout and an output cap.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, promises as fsp, readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { ExecResult } from "../workspace.ts";
import { WorkspaceError } from "../workspace.ts";

/** uid/gid of the `sam` user inside the sandbox (mapped to the runner's own uid). */
export const SANDBOX_UID = 1000;
/** Exit code reported when a command is killed at its wall-clock limit (as timeout(1)). */
export const TIMEOUT_EXIT_CODE = 124;
/** Where the runner's own node binary is mounted when the host has no system node. */
export const SANDBOX_NODE_DIR = "/opt/sam-node/bin";
/** Per-process limits applied with prlimit(1) inside the sandbox. */
export const PRLIMITS = ["--nproc=512", "--nofile=1024", "--as=4294967296", "--fsize=1073741824", "--core=0"];

/**
 * What kind of machine the runner's commands run on (issue 16): the sandbox, or a VM, where the
 * runner runs in VM mode (`main.ts`, `SAM_RUNNER_MODE=vm`) and commands get more room: 16 GiB of
 * address space instead of 4, 4,096 processes instead of 512, 8 GiB files (open files stay at
 * 1,024: an unprivileged runner cannot raise them past the usual hard limit). Commands see the
 * profile's hostname and its variables (`SAM_RUNTIME=sandbox|vm`), so a task can tell where it is.
 */
export interface ExecProfile {
  name: "sandbox" | "vm";
  hostname: string;
  /** Variables added to every command's environment. */
  env: Record<string, string>;
  /** prlimit(1) options. */
  prlimits: readonly string[];
}
/** The sandbox's profile: {@link PRLIMITS}, hostname `sam-sandbox`. */
export const SANDBOX_PROFILE: ExecProfile = { name: "sandbox", hostname: "sam-sandbox", env: { SAM_RUNTIME: "sandbox" }, prlimits: PRLIMITS };
/** A VM's profile: more processes, memory and file size than the sandbox; hostname `sam-vm`. */
export const VM_PROFILE: ExecProfile = {
  name: "vm",
  hostname: "sam-vm",
  env: { SAM_RUNTIME: "vm" },
  prlimits: ["--nproc=4096", "--nofile=1024", "--as=17179869184", "--fsize=8589934592", "--core=0"],
};
const BASE_PATH = "/usr/local/bin:/usr/bin:/bin";
/** Where the Docker daemon listens on a host that runs it. */
const DOCKER_SOCKET = "/var/run/docker.sock";
/** Host /etc entries the sandbox may read; everything else of /etc stays hidden. */
const ETC_ENTRIES = [
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "alternatives",
  "ssl/certs",
  "ssl/openssl.cnf",
  "localtime",
  "nsswitch.conf",
  "protocols",
  "services",
  "os-release",
];
/** Extra /etc entries for workspaces that are allowed network access. */
const ETC_NETWORK_ENTRIES = ["resolv.conf", "gai.conf", "host.conf"];
const USR_TOP_LEVEL = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

/** Whether commands can be isolated here. `reason` says why not. */
export interface IsolationInfo {
  available: boolean;
  bwrapPath?: string;
  reason?: string;
}

/** What of the host the sandbox mounts, probed once by {@link probeHostLayout}. */
export interface HostLayout {
  /** `/bin`-style dirs: a symlink target (merged-usr) or null to ro-bind the real dir. */
  topLevel: { name: string; symlinkTo: string | null }[];
  /** Node binary to mount at {@link SANDBOX_NODE_DIR} when the host has no system node. */
  nodeBinary: string | null;
  /** Whether prlimit(1) exists in /usr/bin. */
  hasPrlimit: boolean;
  /**
   * The Docker daemon's socket when the host has one (`/var/run/docker.sock`), else null. Only a
   * VM's commands get it (the VM is the task's own machine, booted with Docker when it asked for
   * it); the sandbox never does.
   */
  dockerSocket?: string | null;
}

/** Options of {@link buildBwrapArgs}. */
export interface SandboxSpec {
  /** Host directory mounted read-write at /workspace. */
  workspaceDir: string;
  /** Runner-owned dir holding the generated passwd, group and hosts ({@link writeSandboxEtc}). */
  etcDir: string;
  /** Share the host network namespace (default false: loopback only). */
  network: boolean;
  layout: HostLayout;
  /** The machine profile (hostname, variables); default {@link SANDBOX_PROFILE}. */
  profile?: ExecProfile;
}

function findBwrap(): string | undefined {
  const dirs = ["/usr/bin", "/usr/local/bin", "/bin", ...(process.env.PATH ?? "").split(":").filter((d) => d.startsWith("/"))];
  return dirs.map((d) => path.join(d, "bwrap")).find((p) => existsSync(p));
}

function findBash(): string {
  return ["/usr/bin/bash", "/bin/bash"].find((p) => existsSync(p)) ?? "bash";
}

/**
 * Probes the host: which top-level dirs are merged-usr symlinks, whether a system node and
 * prlimit exist. Returns the {@link HostLayout}; never throws.
 */
export function probeHostLayout(): HostLayout {
  const topLevel: HostLayout["topLevel"] = [];
  for (const name of USR_TOP_LEVEL) {
    try {
      const st = lstatSync(`/${name}`);
      if (st.isSymbolicLink()) topLevel.push({ name, symlinkTo: readlinkSync(`/${name}`) });
      else if (st.isDirectory()) topLevel.push({ name, symlinkTo: null });
    } catch {
      // absent on this host
    }
  }
  const systemNode = existsSync("/usr/bin/node") || existsSync("/usr/local/bin/node");
  const dockerSocket = existsSync(DOCKER_SOCKET) ? DOCKER_SOCKET : null;
  return { topLevel, nodeBinary: systemNode ? null : process.execPath, hasPrlimit: existsSync("/usr/bin/prlimit"), dockerSocket };
}

/**
 * Builds bubblewrap's options (everything before `--`) for one command. Takes the
 * {@link SandboxSpec}; returns the argument list. Pure: touches no files.
 */
export function buildBwrapArgs(spec: SandboxSpec): string[] {
  const a: string[] = ["--unshare-all", "--unshare-user", "--disable-userns"];
  if (spec.network) a.push("--share-net");
  a.push("--die-with-parent", "--new-session", "--clearenv", "--cap-drop", "ALL");
  a.push("--uid", String(SANDBOX_UID), "--gid", String(SANDBOX_UID), "--hostname", (spec.profile ?? SANDBOX_PROFILE).hostname);
  a.push("--ro-bind", "/usr", "/usr");
  for (const { name, symlinkTo } of spec.layout.topLevel) {
    if (symlinkTo === null) a.push("--ro-bind", `/${name}`, `/${name}`);
    else a.push("--symlink", symlinkTo, `/${name}`);
  }
  const etc = spec.network ? [...ETC_ENTRIES, ...ETC_NETWORK_ENTRIES] : ETC_ENTRIES;
  for (const entry of etc) a.push("--ro-bind-try", `/etc/${entry}`, `/etc/${entry}`);
  for (const generated of ["passwd", "group", "hosts"]) {
    a.push("--ro-bind", path.join(spec.etcDir, generated), `/etc/${generated}`);
  }
  if (spec.layout.nodeBinary !== null) a.push("--ro-bind", spec.layout.nodeBinary, `${SANDBOX_NODE_DIR}/node`);
  a.push("--tmpfs", "/tmp", "--dev", "/dev");
  // The sandbox uid maps to the runner's uid; if that is root, writable /proc/sys entries
  // would reach the host kernel, so all of /proc is read-only.
  a.push("--proc", "/proc", "--remount-ro", "/proc");
  // On a VM that runs Docker, its commands may use it (a VM is escalated to for that, among others).
  if ((spec.profile ?? SANDBOX_PROFILE).name === "vm" && spec.layout.dockerSocket) a.push("--bind", spec.layout.dockerSocket, spec.layout.dockerSocket);
  a.push("--bind", spec.workspaceDir, "/workspace", "--chdir", "/workspace");
  a.push("--remount-ro", "/");
  for (const [k, v] of Object.entries(sandboxEnv("/workspace", spec.layout.nodeBinary !== null ? SANDBOX_NODE_DIR : null, spec.profile))) a.push("--setenv", k, v);
  return a;
}

/** The whole environment a command sees (nothing is inherited from the runner). */
function sandboxEnv(home: string, nodeDir: string | null, profile: ExecProfile = SANDBOX_PROFILE): Record<string, string> {
  const pathVar = nodeDir !== null ? `${BASE_PATH}:${nodeDir}` : BASE_PATH;
  return { ...profile.env, PATH: pathVar, HOME: home, LANG: "C.UTF-8", TERM: "dumb" };
}

/** Command run inside the sandbox: bash under prlimit. */
function innerCommand(command: string, layout: HostLayout, profile: ExecProfile = SANDBOX_PROFILE): string[] {
  return layout.hasPrlimit ? ["prlimit", ...profile.prlimits, "--", "bash", "-c", command] : ["bash", "-c", command];
}

/**
 * Finds bubblewrap and checks it can create the namespaces and mounts the runner uses.
 * Returns `{available, bwrapPath}` or `{available: false, reason}`; never throws.
 */
export function detectIsolation(): IsolationInfo {
  const bwrapPath = findBwrap();
  if (!bwrapPath) return { available: false, reason: "bubblewrap (bwrap) is not installed" };
  const layout = probeHostLayout();
  const args = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--ro-bind", "/usr", "/usr"];
  for (const { name, symlinkTo } of layout.topLevel) {
    args.push(...(symlinkTo === null ? ["--ro-bind", `/${name}`, `/${name}`] : ["--symlink", symlinkTo, `/${name}`]));
  }
  args.push("--proc", "/proc", "--remount-ro", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--", "true");
  const probe = spawnSync(bwrapPath, args, { encoding: "utf8", timeout: 10_000, env: { PATH: BASE_PATH } });
  if (probe.status === 0) return { available: true, bwrapPath };
  const why = (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim();
  return { available: false, bwrapPath, reason: `bubblewrap is installed but cannot create a sandbox here: ${why}` };
}

/**
 * Writes the sandbox's passwd, group and hosts into `dir` (created if needed), so the host's
 * own files are never exposed. Returns when written; throws on fs errors.
 */
export async function writeSandboxEtc(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  const files: Record<string, string> = {
    passwd:
      "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n" +
      `sam:x:${SANDBOX_UID}:${SANDBOX_UID}:sam:/workspace:/bin/bash\n` +
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    group: `root:x:0:\nsam:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`,
    hosts: "127.0.0.1\tlocalhost sam-sandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n",
  };
  for (const [name, content] of Object.entries(files)) {
    // Write-then-rename: several runners may share the dir.
    const tmp = path.join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    await fsp.writeFile(tmp, content, { mode: 0o644 });
    await fsp.rename(tmp, path.join(dir, name));
  }
}

/** Options of {@link runCaptured}. */
export interface RunOptions {
  /** Working directory on the host. */
  cwd: string;
  /** The complete environment of the launched process. */
  env: Record<string, string>;
  /** Bytes given to the process on fd 3 (bwrap's `--args 3`), if any. */
  fd3?: Buffer;
  /** Wall-clock limit in ms; the whole process group is SIGKILLed at it. */
  timeoutMs: number;
  /** Cap on captured output in bytes; later output is drained and dropped. */
  maxOutputBytes: number;
  /** Called with the child once spawned (so the runner can kill it on shutdown). */
  onSpawn?: (child: ChildProcess) => void;
  /** Kills the whole process group when aborted (the client went away: a cancelled task). */
  signal?: AbortSignal;
}

/**
 * Exits at once when the runner (pid $2) is no longer its parent: the runner died between the
 * spawn and the moment the parent-death signal was armed, and the command must not run
 * orphaned. Then closes inherited stray fds above $1 (the runner's parent may leak some;
 * libuv's own are CLOEXEC), merges stderr into stdout so output interleaves as produced, and
 * execs "$@".
 */
const HOST_WRAPPER =
  'keep=$1; runner=$2; shift 2; [ "$PPID" = "$runner" ] || exit 137; for f in /proc/self/fd/*; do n=${f##*/}; if [ "$n" -gt "$keep" ] 2>/dev/null; then eval "exec $n>&-"; fi; done; exec "$@" 2>&1';

/**
 * util-linux's setpriv, when the host has it. It arms the parent-death signal (SIGKILL) before
 * anything else runs; the signal survives the execs into bash and bwrap, so neither runs on
 * once the runner is killed. bwrap's own `--die-with-parent` is armed only once
 * bwrap has started, which left a window of a few ms in which a crash of the runner let a
 * command run on, orphaned, to completion (and run again when the task resumed).
 * Known gap: bwrap's sandbox process (pid 1 of the new PID namespace) arms its own
 * parent-death signal only after it is cloned, so an outer bwrap killed in those first ms still
 * leaves the sandbox running. Closing that needs a handshake (the sandbox reports that it is
 * armed, the runner answers "go") and is not done yet.
 */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p)) ?? null;

/** How long to wait for output pipes to close after the process exits, in ms. */
const DRAIN_GRACE_MS = 2000;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Runs `argv` in its own process group with stdout+stderr captured interleaved. Takes the
 * argv and {@link RunOptions}; returns the ExecResult (exitCode 124 and `timedOut` when killed
 * at the deadline; 128+signal when killed by a signal). `output` holds at most
 * `maxOutputBytes` bytes of output plus a truncation marker. Never rejects for command
 * failures; rejects only if the process cannot be spawned.
 */
export function runCaptured(argv: readonly string[], opts: RunOptions): Promise<ExecResult> {
  const started = performance.now();
  const keep = opts.fd3 ? "3" : "2";
  const wrapped = [findBash(), "-c", HOST_WRAPPER, "sam-exec", keep, String(process.pid), ...argv];
  const [command, ...args] = SETPRIV ? [SETPRIV, "--pdeathsig", "KILL", "--", ...wrapped] : wrapped;
  const child = spawn(command!, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true, // own process group, so the deadline can kill everything it started
    stdio: opts.fd3 ? ["ignore", "pipe", "ignore", "pipe"] : ["ignore", "pipe", "ignore"],
  });
  opts.onSpawn?.(child);
  if (opts.fd3) {
    const argsPipe = child.stdio[3];
    if (argsPipe && "end" in argsPipe) {
      argsPipe.on("error", () => undefined); // bwrap may exit before reading it all
      argsPipe.end(opts.fd3);
    }
  }
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    if (kept >= opts.maxOutputBytes) {
      truncated = true;
      return;
    }
    const room = opts.maxOutputBytes - kept;
    if (chunk.length > room) truncated = true;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(part);
    kept += part.length;
  });

  const onAbort = (): void => killGroup(child);
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener("abort", onAbort, { once: true });

  return new Promise<ExecResult>((resolve, reject) => {
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, opts.timeoutMs);
    let grace: NodeJS.Timeout | undefined;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      opts.signal?.removeEventListener("abort", onAbort);
      if (grace) clearTimeout(grace);
      child.stdout?.destroy();
      let output = Buffer.concat(chunks, kept).toString("utf8");
      if (truncated) output += `\n[output truncated at ${opts.maxOutputBytes} bytes]`;
      const code = exit?.code ?? null;
      const signal = exit?.signal ?? null;
      let exitCode: number;
      if (timedOut) exitCode = TIMEOUT_EXIT_CODE;
      else if (code !== null) exitCode = code;
      else exitCode = 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
      resolve({ exitCode, output, truncated, timedOut, durationMs: Math.round(performance.now() - started) });
    };

    child.once("error", (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      // Reap anything the command left behind in its group (bwrap's PID namespace already
      // ends with it; this matters for the unsandboxed fallback).
      killGroup(child);
      grace = setTimeout(finish, DRAIN_GRACE_MS);
    });
    child.once("close", finish);
  });
}

/** One command to run for a workspace. */
export interface CommandSpec {
  /** Host directory of the workspace files (mounted at /workspace). */
  filesDir: string;
  command: string;
  network: boolean;
  /** Wall-clock limit in ms. */
  timeoutMs: number;
  /** Output cap in bytes. */
  maxOutputBytes: number;
  /** Aborting it kills the command. */
  signal?: AbortSignal;
}

/** Runs workspace commands with the isolation chosen at start-up. */
export interface Executor {
  /** `bubblewrap` when commands are isolated, `none` otherwise (refusing, or unsafe mode). */
  readonly isolation: "bubblewrap" | "none";
  /**
   * Runs one command. Returns its ExecResult; throws WorkspaceError `sandbox_unavailable`
   * when bubblewrap is missing and unsandboxed execution was not allowed.
   */
  run(spec: CommandSpec): Promise<ExecResult>;
  /** SIGKILLs every running command (used on shutdown). */
  killAll(): void;
}

/** Options of {@link createExecutor}. */
export interface ExecutorOptions {
  /** Runner-owned dir for generated sandbox files (not inside any workspace). */
  stateDir: string;
  /** Run commands with plain bash when bubblewrap is unavailable (unsafe; warns once). */
  allowUnsandboxed: boolean;
  /** Result of {@link detectIsolation}; probed when omitted. */
  isolation?: IsolationInfo;
  /** Where the one-time warning goes (default console.warn). */
  warn?: (message: string) => void;
  /** The machine profile of the commands (default {@link SANDBOX_PROFILE}; VM mode: {@link VM_PROFILE}). */
  profile?: ExecProfile;
}

/**
 * Creates the {@link Executor}: bubblewrap when available, otherwise refusing (or, with
 * `allowUnsandboxed`, plain bash after a loud warning). Returns it; throws on fs errors while
 * writing the sandbox's /etc files.
 */
export async function createExecutor(options: ExecutorOptions): Promise<Executor> {
  const isolation = options.isolation ?? detectIsolation();
  const layout = probeHostLayout();
  const running = new Set<ChildProcess>();
  const track = (child: ChildProcess): void => {
    running.add(child);
    child.once("exit", () => running.delete(child));
    child.once("error", () => running.delete(child));
  };
  const killAll = (): void => {
    for (const child of running) killGroup(child);
  };

  if (isolation.available && isolation.bwrapPath) {
    const bwrapPath = isolation.bwrapPath;
    const etcDir = path.join(options.stateDir, "etc");
    await writeSandboxEtc(etcDir);
    return {
      isolation: "bubblewrap",
      killAll,
      run(spec) {
        const bwrapArgs = buildBwrapArgs({ workspaceDir: spec.filesDir, etcDir, network: spec.network, layout, profile: options.profile });
        // Options go through fd 3 so host paths do not show in the sandbox's /proc/1/cmdline.
        const fd3 = Buffer.from(bwrapArgs.map((arg) => `${arg}\0`).join(""), "utf8");
        return runCaptured([bwrapPath, "--args", "3", "--", ...innerCommand(spec.command, layout, options.profile)], {
          cwd: "/",
          env: { PATH: BASE_PATH },
          fd3,
          timeoutMs: spec.timeoutMs,
          maxOutputBytes: spec.maxOutputBytes,
          onSpawn: track,
          signal: spec.signal,
        });
      },
    };
  }

  if (!options.allowUnsandboxed) {
    const reason = isolation.reason ?? "bubblewrap is unavailable";
    return {
      isolation: "none",
      killAll,
      run() {
        return Promise.reject(
          new WorkspaceError(
            "sandbox_unavailable",
            `${reason}; commands are refused without isolation. Install it with \`apt-get install -y bubblewrap\` ` +
              "(or set SAM_UNSAFE_NO_SANDBOX=1 to run commands unisolated, at your own risk)",
          ),
        );
      },
    };
  }

  let warned = false;
  return {
    isolation: "none",
    killAll,
    run(spec) {
      if (!warned) {
        warned = true;
        (options.warn ?? console.warn)(
          "WARNING: bubblewrap is unavailable and SAM_UNSAFE_NO_SANDBOX is set: workspace commands run " +
            "UNSANDBOXED with full access to this machine (files, network, processes).",
        );
      }
      return runCaptured(innerCommand(spec.command, layout, options.profile), {
        cwd: spec.filesDir,
        env: sandboxEnv(spec.filesDir, layout.nodeBinary !== null ? path.dirname(layout.nodeBinary) : null, options.profile),
        timeoutMs: spec.timeoutMs,
        maxOutputBytes: spec.maxOutputBytes,
        onSpawn: track,
        signal: spec.signal,
      });
    },
  };
}
