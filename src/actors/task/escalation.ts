/**
 * A task's escalation to a VM (issue 16): its lease (one row, `vm_lease`), the provisioning,
 * the VM's runner calling back, the move of the workspace, and the release.
 *
 * The transition is journaled (`escalation` transcript events) and idempotent, so a crash in
 * the middle resumes it without a second VM: `request_vm` is a tool call, journaled before it
 * runs; a loop resumed after a crash runs it again, and it picks up from the lease's phase —
 * before creating a server it looks for one labelled with this task (and the server's id is
 * stored as soon as the provider answers). Phases: `requested` → `provisioning` (server id
 * known) → `ready` (the runner presented its one-time token and got its credential) → `moved`
 * (workspace imported on the VM; commands run there from now on) → `released` (deleted when
 * the task ends) or `failed` (deleted at once; the task stays in the sandbox).
 *
 * The tool call that asked for the VM gets its result after the move: nothing runs twice.
 * Secrets: the registration token and the VM's credential are stored only as SHA-256 hashes;
 * the token is cleared once used (a token works once).
 */
import type { Connection } from "agents";
import { getAgentByName } from "agents";
import { taskVmSelector, vmLabels, vmName, vmProviderFromEnv, type VmProvider } from "../../sandbox/vm/provider.ts";
import { vmUserData } from "../../sandbox/vm/user-data.ts";
import { VM_REFUSED_CLOSE_CODE, vmRunnerFrameSchema, type VmActorFrame } from "../../sandbox/vm/protocol.ts";
import { VmTunnel } from "../../sandbox/vm-workspace.ts";
import type { LeasedWorkspace } from "../../sandbox/open.ts";
import { EXEC_MAX_TIMEOUT_MS, type Workspace } from "../../sandbox/workspace.ts";
import type { TaskRuntimeView, TranscriptEvent } from "../../shared/protocol.ts";
import type { TaskRuntime } from "../../shared/task-spec.ts";
import type { ProjectSettings } from "../../shared/project-settings.ts";
import type { ToolOutcome } from "../../tools/workspace-tools.ts";
import type { VmNeeds } from "./escalation-rules.ts";
import { sandboxLimitHit, vmCostUsd, vmRefusal } from "./escalation-rules.ts";
import type { TaskJournal } from "./journal.ts";
import type { TaskOutbox } from "./outbox.ts";
import type { TaskRowStore } from "./row-store.ts";
import { formatBytes, moveWorkspace, type PartSource } from "./workspace-move.ts";

/** How long the VM's runner has to call back after the server was created, ms. */
export const VM_READY_DEADLINE_MS = 5 * 60_000;

type Phase = "none" | "requested" | "provisioning" | "ready" | "moved" | "released" | "failed";

/** The lease row. */
type LeaseRow = {
  phase: Phase;
  runtime: TaskRuntime;
  reason: string;
  provider: string;
  server_type: string;
  server_id: string | null;
  token_hash: string | null;
  credential_hash: string | null;
  hourly_usd: number | null;
  requested_at_ms: number;
  created_at_ms: number | null;
  released_at_ms: number | null;
  cost_usd: number;
};

/** Creates the lease table (additive). */
export function createEscalationTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS vm_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1), phase TEXT NOT NULL, runtime TEXT NOT NULL DEFAULT 'auto', reason TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '', server_type TEXT NOT NULL DEFAULT '', server_id TEXT, token_hash TEXT, credential_hash TEXT,
    hourly_usd REAL, requested_at_ms INTEGER NOT NULL DEFAULT 0, created_at_ms INTEGER, released_at_ms INTEGER, cost_usd REAL NOT NULL DEFAULT 0,
    network INTEGER NOT NULL DEFAULT 0)`);
}

/** What the escalation needs from its actor. */
export interface EscalationHost {
  env: Env;
  store: TaskRowStore;
  journal: TaskJournal;
  outbox: TaskOutbox;
  /** The actor's WebSocket connections (the VM's runner is one of them). */
  connections(): Iterable<Connection>;
}

async function sha256(value: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The provider SAM uses: Hetzner Cloud when `HETZNER_API_TOKEN` is set, else none. */
export function vmProvider(env: Env): VmProvider | null {
  return vmProviderFromEnv(env);
}

/** A task's VM: its lease, its connection and the workspace on it. One per actor instance. */
export class TaskEscalation {
  private readonly host: EscalationHost;
  /** Requests to the VM's runner over its socket. */
  readonly tunnel: VmTunnel;

  constructor(host: EscalationHost) {
    this.host = host;
    this.tunnel = new VmTunnel(() => this.vmConnection());
  }

  private get sql(): SqlStorage {
    return this.host.store.sql;
  }

  private lease(): LeaseRow | null {
    return this.sql.exec<LeaseRow>(`SELECT * FROM vm_lease WHERE id = 1`).toArray()[0] ?? null;
  }

  /** Records the task's runtime preference at its start (`auto` when absent). Idempotent. */
  setRuntime(runtime: TaskRuntime | undefined): void {
    this.sql.exec(`INSERT INTO vm_lease (id, phase, runtime) VALUES (1, 'none', ?) ON CONFLICT(id) DO NOTHING`, runtime ?? "auto");
  }

  /** The task's runtime preference. */
  runtime(): TaskRuntime {
    return this.lease()?.runtime ?? "auto";
  }

  /** Whether the workspace is on a VM now (commands go there). */
  onVm(): boolean {
    return this.lease()?.phase === "moved";
  }

  /** The tunnel when the workspace is on a VM, else null (for `openWorkspace`). */
  vmTunnel(): VmTunnel | null {
    return this.onVm() ? this.tunnel : null;
  }

  /** Where the task runs, for its view. */
  runtimeView(): TaskRuntimeView {
    const lease = this.lease();
    // A task that ended on its VM keeps showing it, with what it cost.
    if (lease?.phase === "released" && lease.server_id) {
      return { tier: "vm", provider: lease.provider, serverType: lease.server_type, serverId: lease.server_id, costUsd: lease.cost_usd };
    }
    if (!lease || !["moved", "ready", "provisioning"].includes(lease.phase)) {
      return { tier: "sandbox", provider: null, serverType: null, serverId: null, costUsd: lease?.cost_usd ?? 0 };
    }
    const cost = lease.hourly_usd !== null && lease.created_at_ms !== null ? vmCostUsd(lease.created_at_ms, Date.now(), lease.hourly_usd) : 0;
    return { tier: lease.phase === "moved" ? "vm" : "sandbox", provider: lease.provider, serverType: lease.server_type, serverId: lease.server_id, costUsd: cost };
  }

  private journalEvent(event: Omit<Extract<TranscriptEvent, { type: "escalation" }>, "seq" | "at">): void {
    void this.host.outbox.publish([this.host.journal.append(event)], true, true);
  }

  /**
   * Runs `request_vm` (or a start with `runtime: "vm"`): checks the policy, provisions (or finds)
   * the VM, waits for its runner, moves `from` (the sandbox workspace) to it. Returns the tool's
   * outcome; never throws. Resumes from the lease's phase when called again after a crash.
   */
  async request(reason: string, needs: VmNeeds, from: LeasedWorkspace, signal: AbortSignal): Promise<ToolOutcome> {
    const row = this.host.store.mustRow();
    const provider = vmProvider(this.host.env);
    let lease = this.lease();
    if (lease?.phase === "moved") return { output: `this task already runs on a VM (${lease.provider} ${lease.server_type}, server ${lease.server_id})`, isError: false, exitCode: null };
    if (!provider) return { output: "no VM provider is configured for this SAM (HETZNER_API_TOKEN is not set)", isError: true, exitCode: null };
    if (!("exportPart" in from)) return { output: "this workspace cannot be moved to a VM yet", isError: true, exitCode: null };
    try {
      if (!lease || lease.phase === "none" || lease.phase === "failed" || lease.phase === "released") {
        const settings = (await (await getAgentByName(this.host.env.ProjectAgent, row.project_id)).getSettings()) as ProjectSettings;
        const policy = settings.limits.vm;
        const others = (await provider.list(`sam=1,project=${row.project_id}`)).filter((s) => s.labels.task !== row.id && s.status !== "deleting");
        const refusal = vmRefusal({ runtime: this.runtime(), policy, activeVms: others.length, needs });
        if (refusal) return { output: `no VM: ${refusal}`, isError: true, exitCode: null };
        const hourly = await provider.hourlyPriceUsd(policy.serverType);
        this.sql.exec(
          `INSERT INTO vm_lease (id, phase, runtime, reason, provider, server_type, requested_at_ms, hourly_usd, network) VALUES (1, 'requested', ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET phase = 'requested', reason = excluded.reason, provider = excluded.provider, server_type = excluded.server_type,
             server_id = NULL, token_hash = NULL, credential_hash = NULL, requested_at_ms = excluded.requested_at_ms, hourly_usd = excluded.hourly_usd,
             created_at_ms = NULL, released_at_ms = NULL, network = excluded.network`,
          this.runtime(), reason, provider.name, policy.serverType, Date.now(), hourly, needs.network === true ? 1 : 0,
        );
        this.journalEvent({ type: "escalation", phase: "requested", reason, provider: provider.name, serverType: policy.serverType });
        lease = this.lease();
      }
      if (!lease) throw new Error("the VM lease vanished");
      if (lease.phase === "requested") {
        // Idempotent: a server labelled with this task (made before a crash) is reused.
        const existing = (await provider.list(taskVmSelector(row.id))).find((s) => s.status !== "deleting");
        let serverId = existing?.id;
        if (!serverId) {
          const token = randomSecret();
          this.sql.exec(`UPDATE vm_lease SET token_hash = ? WHERE id = 1`, await sha256(token));
          const samUrl = this.host.env.SAM_PUBLIC_URL;
          if (!samUrl) throw new Error("SAM_PUBLIC_URL is not set: a VM would not know where to call back");
          const server = await provider.create({
            name: vmName(row.id),
            serverType: lease.server_type,
            labels: vmLabels(row.project_id, row.id),
            userData: vmUserData({ samUrl, taskId: row.id, registrationToken: token, network: needs.network === true }),
            docker: needs.docker === true,
          });
          serverId = server.id;
        }
        this.sql.exec(`UPDATE vm_lease SET phase = 'provisioning', server_id = ?, created_at_ms = COALESCE(created_at_ms, ?) WHERE id = 1`, serverId, Date.now());
        // The project's reconciliation alarm watches its servers from now on (vm-reconcile.ts).
        await this.watchedByProject(row.project_id);
        this.journalEvent({ type: "escalation", phase: "provisioning", reason: `server ${serverId} created; waiting for its runner to call back`, provider: provider.name, serverType: lease.server_type, serverId });
        lease = this.lease()!;
      }
      if (lease.phase === "provisioning") {
        const deadline = Date.now() + VM_READY_DEADLINE_MS;
        while (this.lease()?.phase === "provisioning" || !this.vmConnection()) {
          if (signal.aborted) throw new Error("the task was stopped while its VM was provisioning");
          // Released meanwhile (the task was cancelled or ended: `release` deleted the server): stop waiting.
          const phase = this.lease()?.phase;
          if (phase !== "provisioning" && phase !== "ready") throw new Error(`the VM was ${phase ?? "dropped"} while it was provisioning`);
          if (Date.now() > deadline) throw new Error(`the VM's runner did not call back within ${VM_READY_DEADLINE_MS / 1000} s`);
          await new Promise((r) => setTimeout(r, 200));
        }
        lease = this.lease()!;
      }
      if (lease.phase === "ready") {
        const { vmWorkspace } = await import("../../sandbox/vm-workspace.ts");
        const network = (this.sql.exec<{ network: number }>(`SELECT network FROM vm_lease WHERE id = 1`).one().network ?? 0) === 1;
        const moved = await moveWorkspace(from as LeasedWorkspace & PartSource, vmWorkspace(this.tunnel, row.id), network, signal);
        this.sql.exec(`UPDATE vm_lease SET phase = 'moved' WHERE id = 1`);
        this.journalEvent({ type: "escalation", phase: "moved", reason: `the workspace moved to the VM (${moved.files} files, ${formatBytes(moved.bytes)}, and the diff base, in ${moved.parts} part(s))`, provider: lease.provider, serverType: lease.server_type, serverId: lease.server_id ?? undefined });
        lease = this.lease()!;
      }
      return {
        output: `This task now runs on a VM (${lease.provider} ${lease.server_type}, server ${lease.server_id}). The workspace moved with every file and its diff base; commands run there from now on.`,
        isError: false,
        exitCode: null,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.release(`the escalation failed: ${message}`, "failed");
      return { output: `no VM: ${message}. The task stays in its sandbox.`, isError: true, exitCode: null };
    }
  }

  /**
   * Deletes the task's VM (when the task ends, or an escalation failed), records its cost in the
   * ledger (source `vm`) and journals `released` (or `failed`). Idempotent; never throws.
   */
  async release(reason: string, phase: "released" | "failed" = "released"): Promise<void> {
    const lease = this.lease();
    if (!lease || !["requested", "provisioning", "ready", "moved"].includes(lease.phase)) return;
    const provider = vmProvider(this.host.env);
    try {
      const ids = new Set<string>(lease.server_id ? [lease.server_id] : []);
      if (provider) for (const s of await provider.list(taskVmSelector(this.host.store.mustRow().id))) ids.add(s.id);
      for (const id of ids) await provider?.delete(id);
    } catch (error) {
      // The reconciliation deletes what stays behind (labels name the task).
      console.error(`task ${this.host.store.mustRow().id}: deleting its VM failed: ${String(error)}`);
    }
    for (const connection of this.host.connections()) connection.close(1000, "the VM was released");
    this.tunnel.failAll("the VM was released");
    const now = Date.now();
    const cost = lease.hourly_usd !== null && lease.created_at_ms !== null ? vmCostUsd(lease.created_at_ms, now, lease.hourly_usd) : 0;
    this.sql.exec(`UPDATE vm_lease SET phase = ?, released_at_ms = ?, cost_usd = ?, token_hash = NULL, credential_hash = NULL WHERE id = 1`, phase, now, cost);
    if (cost > 0) await this.recordCost(lease, cost, now);
    this.journalEvent({ type: "escalation", phase, reason, provider: lease.provider, serverType: lease.server_type, serverId: lease.server_id ?? undefined, costUsd: cost });
  }

  /** Records the VM's cost in the task starter's ledger (source `vm`). Never throws. */
  private async recordCost(lease: LeaseRow, cost: number, now: number): Promise<void> {
    const row = this.host.store.mustRow();
    try {
      const user = await getAgentByName(this.host.env.UserAgent, row.user_id);
      await user.recordUsage(`vm_${row.id}_${lease.created_at_ms ?? 0}`, {
        at: new Date(lease.created_at_ms ?? now).toISOString(),
        projectId: row.project_id,
        missionId: row.mission_id,
        taskId: row.id,
        model: `vm/${lease.provider}/${lease.server_type}`,
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        costUsd: cost,
        latencyMs: now - (lease.created_at_ms ?? now),
        status: "ok",
        httpStatus: null,
        source: "vm",
      });
    } catch (error) {
      console.error(`task ${row.id}: recording its VM's cost failed: ${String(error)}`);
    }
  }

  /** Asks the project actor to run its VM reconciliation alarm (idempotent). Never throws: a lost watch is caught by the next escalation's. */
  private async watchedByProject(projectId: string): Promise<void> {
    try {
      await (await getAgentByName(this.host.env.ProjectAgent, projectId)).watchVms();
    } catch (error) {
      console.error(`task ${this.host.store.mustRow().id}: the project's VM reconciliation could not be armed: ${String(error)}`);
    }
  }

  /**
   * Automatic escalation (runtime `auto`, issue 16): after a `bash` command in the sandbox
   * failed, checks whether it hit a sandbox limit a VM lifts (escalation-rules.ts
   * `sandboxLimitHit`). If not, or the task already runs on a VM, returns `outcome` as it is.
   * If so, the command did not "finish": the task asks for a VM (`request`, same policy and
   * journal as `request_vm`, the limit as its reason) and, moved, runs the command again on the
   * VM through `rerun` (with the VM's time ceiling when time was the limit); its result is the
   * tool's, with a note first. Refused or failed, the sandbox's outcome is returned with the
   * reason why not appended. `ownTimeout`: whether the call set `timeout_ms`. Never throws.
   */
  async afterSandboxCommand(
    outcome: ToolOutcome,
    ownTimeout: boolean,
    from: LeasedWorkspace,
    rerun: (timeoutMs: number | null) => Promise<ToolOutcome>,
    signal: AbortSignal,
  ): Promise<ToolOutcome> {
    if (!outcome.isError || this.onVm() || this.runtime() === "vm") return outcome;
    const command = { exitCode: outcome.exitCode, output: outcome.output, ownTimeout };
    let hit = sandboxLimitHit({ ...command, networkOnVm: true });
    if (!hit) return outcome;
    // A missing network counts only when the project gives VMs the network (its settings are read only then).
    if (hit.limit === "network") {
      let networkOnVm = false;
      try {
        networkOnVm = ((await (await getAgentByName(this.host.env.ProjectAgent, this.host.store.mustRow().project_id)).getSettings()) as ProjectSettings).limits.vm.network;
      } catch {
        // Settings unreachable: judged as no network on VMs.
      }
      hit = sandboxLimitHit({ ...command, networkOnVm });
      if (!hit) return outcome;
    }
    const moved = await this.request(`${hit.reason} (automatic escalation)`, hit.needs, from, signal);
    if (moved.isError) return { ...outcome, output: `${outcome.output}\n[${hit.reason}; it could not move to a VM: ${moved.output.replace(/^no VM: /, "")}]` };
    const again = await rerun(hit.limit === "time" ? EXEC_MAX_TIMEOUT_MS : null);
    return { ...again, output: `[${hit.reason} in the sandbox; the task moved to a VM and ran it again there]\n${again.output}` };
  }

  /**
   * The reconciliation found this task's VM older than `limits.vm.maxHours` (`maxHours`):
   * deletes it, records its cost and journals `released` with that reason. The caller fails the
   * task (its workspace was on the VM). Never throws.
   */
  async expire(maxHours: number): Promise<string> {
    const reason = `its VM reached the project's limit of ${maxHours} hour(s) (limits.vm.maxHours) and was deleted`;
    await this.release(reason);
    return reason;
  }

  /** The VM's authenticated connection, if one is open. */
  private vmConnection(): Connection | null {
    for (const connection of this.host.connections()) {
      if ((connection.state as { vm?: boolean } | null)?.vm === true) return connection;
    }
    return null;
  }

  /**
   * A frame from a socket on this actor (only `/vm/connect` reaches it): `hello` with the
   * one-time token (answered with a new credential, stored hashed; the token is then cleared)
   * or with the credential (a reconnect); anything else before a good hello closes the socket
   * with 4001; `response` frames go to the tunnel.
   */
  async onFrame(connection: Connection, raw: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return;
    }
    const frame = vmRunnerFrameSchema.safeParse(parsed);
    if (!frame.success) return;
    const f = frame.data;
    if (f.type === "response") {
      if ((connection.state as { vm?: boolean } | null)?.vm === true) this.tunnel.answer(f);
      return;
    }
    const lease = this.lease();
    const refuse = (why: string) => connection.close(VM_REFUSED_CLOSE_CODE, why);
    if (!lease || !["provisioning", "ready", "moved"].includes(lease.phase)) return refuse("this task holds no VM");
    if (f.token && lease.token_hash && (await sha256(f.token)) === lease.token_hash) {
      const credential = randomSecret();
      this.sql.exec(
        `UPDATE vm_lease SET token_hash = NULL, credential_hash = ?, phase = CASE WHEN phase = 'provisioning' THEN 'ready' ELSE phase END WHERE id = 1`,
        await sha256(credential),
      );
      connection.setState({ vm: true });
      connection.send(JSON.stringify({ type: "welcome", credential } satisfies VmActorFrame));
      this.journalEvent({ type: "escalation", phase: "ready", reason: "the VM's runner called back", provider: lease.provider, serverType: lease.server_type, serverId: lease.server_id ?? undefined });
      return;
    }
    if (f.credential && lease.credential_hash && (await sha256(f.credential)) === lease.credential_hash) {
      for (const other of this.host.connections()) if (other.id !== connection.id && (other.state as { vm?: boolean } | null)?.vm) other.close(1000, "replaced by a newer connection");
      connection.setState({ vm: true });
      connection.send(JSON.stringify({ type: "welcome" } satisfies VmActorFrame));
      return;
    }
    return refuse("wrong or used registration token or credential");
  }

  /** A socket closed: requests in flight over the VM's socket fail (a reconnect serves the next ones). */
  onClose(connection: Connection): void {
    if ((connection.state as { vm?: boolean } | null)?.vm === true) this.tunnel.failAll("the VM's connection dropped");
  }
}

/** A `Workspace` that sends each call to the adapter `pick` gives at that moment (the sandbox's, then the VM's once the task moved). */
export function followingWorkspace(pick: () => Workspace): Workspace {
  return {
    exec: (command, options) => pick().exec(command, options),
    read: (path) => pick().read(path),
    write: (path, content) => pick().write(path, content),
    list: (path) => pick().list(path),
    search: (pattern, path) => pick().search(pattern, path),
    diff: () => pick().diff(),
    changedFiles: () => pick().changedFiles(),
  };
}
