/**
 * The `VmProvider` port (issue 16, "Escalation to a VM") and its first adapter, Hetzner Cloud.
 *
 * A task that outgrows the sandbox gets a VM: SAM creates a server with cloud-init user data
 * (`user-data.ts`) that starts SAM's own runner in VM mode, which connects out to SAM. Every
 * server SAM makes carries labels naming SAM (`sam=1`), the project and the task, so that a
 * reconciliation can find and delete the ones whose task has ended.
 *
 * `HetznerProvider` speaks the subset of the Hetzner Cloud REST API SAM needs
 * (https://docs.hetzner.cloud/): `POST /v1/servers`, `GET /v1/servers/{id}`,
 * `GET /v1/servers?label_selector=`, `DELETE /v1/servers/{id}`, `GET /v1/server_types`, with a
 * Bearer token (`HETZNER_API_TOKEN`) against `HETZNER_API_BASE_URL` (default
 * https://api.hetzner.cloud). Locally and in tests that base URL is the local VM host
 * (`src/sandbox/vm-host/`), which speaks the same subset.
 */
import { z } from "zod";

/** A server's state as the provider reports it (Hetzner's `server.status`). */
export type VmStatus = "initializing" | "starting" | "running" | "stopping" | "off" | "deleting" | "migrating" | "rebuilding" | "unknown";

/** A server as SAM sees it: its provider id (a decimal string), name, status and labels. */
export interface VmServer {
  id: string;
  name: string;
  status: VmStatus;
  labels: Record<string, string>;
  /** ISO 8601. */
  created: string;
}

/** What `create` takes: a name (≤ 63 chars, letters, digits, `-`), the server type, the user data (a `#!/bin/bash` script) and labels. */
export interface VmCreateRequest {
  name: string;
  serverType: string;
  userData: string;
  labels: Record<string, string>;
  /** Boot an image with Docker running (the task asked for Docker, or failed for want of it). */
  docker?: boolean;
}

/** A VM provider: create, read, list by labels, delete, and the hourly price of a server type. */
export interface VmProvider {
  /** The provider's name as the task view shows it (`hetzner`). */
  readonly name: string;
  /** Creates a server; returns it (status `initializing` at first). @throws VmProviderError */
  create(request: VmCreateRequest): Promise<VmServer>;
  /** The server, or null when it does not exist (404). @throws VmProviderError */
  get(id: string): Promise<VmServer | null>;
  /** The servers matching a label selector (`sam=1,task=tsk_...`). @throws VmProviderError */
  list(labelSelector: string): Promise<VmServer[]>;
  /** Deletes a server; true when it existed, false when it was already gone. @throws VmProviderError */
  delete(id: string): Promise<boolean>;
  /** The server type's hourly price in USD, or null when the provider does not know the type. @throws VmProviderError */
  hourlyPriceUsd(serverType: string): Promise<number | null>;
}

/** A provider call that failed: its HTTP status (0 when unreachable), the provider's error code and message. */
export class VmProviderError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "VmProviderError";
    this.status = status;
    this.code = code;
  }
}

/** Hetzner Cloud's default API base URL. */
export const HETZNER_DEFAULT_BASE_URL = "https://api.hetzner.cloud";
/** The image SAM's VMs boot (Hetzner image name). */
export const HETZNER_IMAGE = "ubuntu-24.04";
/** The image of a VM that needs Docker: Hetzner's "Docker CE" app (Ubuntu with Docker running). */
export const HETZNER_DOCKER_IMAGE = "docker-ce";
/**
 * Hetzner prices are in EUR; SAM's ledger is in USD. This fixed rate converts them (an
 * approximation, documented in docs/api.md; close to the 2024–2025 average).
 */
export const EUR_TO_USD = 1.1;

const serverSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.string(),
  created: z.string(),
  labels: z.record(z.string(), z.string()).default({}),
});
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const priceSchema = z.object({ location: z.string(), price_hourly: z.object({ net: z.string(), gross: z.string() }) });
const serverTypesSchema = z.object({
  server_types: z.array(z.object({ name: z.string(), cores: z.number(), memory: z.number(), disk: z.number(), prices: z.array(priceSchema) })),
});

const STATUSES: readonly VmStatus[] = ["initializing", "starting", "running", "stopping", "off", "deleting", "migrating", "rebuilding", "unknown"];

function toServer(raw: z.infer<typeof serverSchema>): VmServer {
  const status = STATUSES.find((s) => s === raw.status) ?? "unknown";
  return { id: String(raw.id), name: raw.name, status, labels: raw.labels, created: raw.created };
}

/** Settings of {@link HetznerProvider}: the API token, the base URL (default {@link HETZNER_DEFAULT_BASE_URL}), an optional location (`fsn1`, `nbg1`...). */
export interface HetznerSettings {
  token: string;
  baseUrl?: string;
  location?: string;
  /** For tests: the fetch to use (default the global one). */
  fetch?: typeof fetch;
}

/** The Hetzner Cloud adapter of {@link VmProvider}. Prices from `GET /v1/server_types` (gross hourly, the first location's, × {@link EUR_TO_USD}), kept per instance. */
export class HetznerProvider implements VmProvider {
  readonly name = "hetzner";
  private readonly base: string;
  private readonly settings: HetznerSettings;
  private prices: Map<string, number> | null = null;

  constructor(settings: HetznerSettings) {
    this.settings = settings;
    this.base = (settings.baseUrl ?? HETZNER_DEFAULT_BASE_URL).replace(/\/+$/, "");
  }

  async create(request: VmCreateRequest): Promise<VmServer> {
    const body = {
      name: request.name,
      server_type: request.serverType,
      image: request.docker ? HETZNER_DOCKER_IMAGE : HETZNER_IMAGE,
      ...(this.settings.location ? { location: this.settings.location } : {}),
      user_data: request.userData,
      labels: request.labels,
      start_after_create: true,
    };
    const answer = await this.call("POST", "/v1/servers", body);
    return toServer(z.object({ server: serverSchema }).parse(answer).server);
  }

  async get(id: string): Promise<VmServer | null> {
    const answer = await this.call("GET", `/v1/servers/${encodeURIComponent(id)}`, undefined, true);
    return answer === null ? null : toServer(z.object({ server: serverSchema }).parse(answer).server);
  }

  async list(labelSelector: string): Promise<VmServer[]> {
    const servers: VmServer[] = [];
    for (let page = 1; page <= 50; page++) {
      const answer = await this.call("GET", `/v1/servers?label_selector=${encodeURIComponent(labelSelector)}&per_page=50&page=${page}`);
      const parsed = z
        .object({ servers: z.array(serverSchema), meta: z.object({ pagination: z.object({ next_page: z.number().nullable() }) }).optional() })
        .parse(answer);
      servers.push(...parsed.servers.map(toServer));
      if (!parsed.meta?.pagination.next_page) break;
    }
    return servers;
  }

  async delete(id: string): Promise<boolean> {
    const answer = await this.call("DELETE", `/v1/servers/${encodeURIComponent(id)}`, undefined, true);
    return answer !== null;
  }

  async hourlyPriceUsd(serverType: string): Promise<number | null> {
    if (!this.prices) {
      const parsed = serverTypesSchema.parse(await this.call("GET", "/v1/server_types?per_page=50"));
      this.prices = new Map();
      for (const type of parsed.server_types) {
        const price = type.prices.find((p) => p.location === this.settings.location) ?? type.prices[0];
        if (price) this.prices.set(type.name, Number(price.price_hourly.gross) * EUR_TO_USD);
      }
    }
    return this.prices.get(serverType) ?? null;
  }

  /** One API call; a 404 is null when `notFoundIsNull`; other errors throw VmProviderError with Hetzner's `{error: {code, message}}`. */
  private async call(method: string, path: string, body?: unknown, notFoundIsNull = false): Promise<unknown> {
    let response: Response;
    try {
      response = await (this.settings.fetch ?? fetch)(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.settings.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new VmProviderError(0, "unreachable", `the VM provider at ${this.base} is unreachable: ${String(error)}`);
    }
    if (response.status === 404 && notFoundIsNull) return null;
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === "" ? {} : JSON.parse(text);
    } catch {
      // not JSON: reported below
    }
    if (!response.ok) {
      const error = errorSchema.safeParse(json);
      throw new VmProviderError(response.status, error.success ? error.data.error.code : "http_error", error.success ? error.data.error.message : `the VM provider answered ${response.status}`);
    }
    return json;
  }
}

/** The labels of a task's VM: `sam=1`, the project and the task (Hetzner label values: ≤ 63 chars of letters, digits, `-`, `_`, `.`). */
export function vmLabels(projectId: string, taskId: string): Record<string, string> {
  return { sam: "1", project: projectId, task: taskId };
}

/** The label selector of a task's VMs. */
export function taskVmSelector(taskId: string): string {
  return `sam=1,task=${taskId}`;
}

/** A server's name for a task: `sam-` + the task id, lower case, `_` as `-` (Hetzner names are hostnames). */
export function vmName(taskId: string): string {
  return `sam-${taskId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 63);
}

/** The provider a SAM deployment uses: Hetzner Cloud when `HETZNER_API_TOKEN` is set (at `HETZNER_API_BASE_URL`, the local VM host locally), else null (no VMs). */
export function vmProviderFromEnv(env: Pick<Env, "HETZNER_API_TOKEN" | "HETZNER_API_BASE_URL">): VmProvider | null {
  if (!env.HETZNER_API_TOKEN) return null;
  return new HetznerProvider({ token: env.HETZNER_API_TOKEN, baseUrl: env.HETZNER_API_BASE_URL });
}
