/**
 * The HTTP API client: same-origin relative URLs carrying the browser's HttpOnly sign-in cookie
 * (never a token: no Authorization header, nothing in storage), `{"error":{"code","message"}}`
 * turned into ApiError, and auth problems (401; 403 `account_pending` / `account_suspended`)
 * reported to the handler the session store registers. Changes are same-origin fetches, so the
 * browser sends the `Origin` the server checks. Responses are checked with zod; a list skips (and
 * logs) rows it cannot read.
 */
import { z } from "zod";
import {
  chatMessageSchema,
  chatSessionSchema,
  missionStatusSchema,
  missionViewSchema,
  sessionKindSchema,
  taskStatusSchema,
  taskViewSchema,
  transcriptEventSchema,
  type ChatMessage,
  type ChatSession,
  type MissionStatus,
  type MissionView,
  type SessionKind,
  type TaskStatus,
  type TaskView,
  type TranscriptEvent,
} from "../../shared/protocol.ts";
import { projectLimitsSchema, type ProjectLimits } from "../../shared/limits.ts";
import type { MissionRequestInput } from "../../shared/mission-plan.ts";
import { techLeadSettingsSchema, type TechLeadSettings } from "../../shared/project-settings.ts";
import { repositoryViewSchema, type RepositoryView } from "../../shared/repository.ts";
import type { TaskRequestInput } from "../../shared/task-spec.ts";

/** An error answer of the API (or a network / shape failure, with status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** A readable message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Options of one request. */
export type RequestOptions = {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
  /** Report a 401 or an inactive account to the auth-problem handler (default true; false for sign-in itself and the first `GET /api/me`). */
  reportAuth?: boolean;
};

/** An authentication problem an API answer revealed: signed out (401) or an account that is not active (403). */
export type AuthProblem = { kind: "signedOut" } | { kind: "inactive"; code: "account_pending" | "account_suspended" };

let authProblemHandler: (problem: AuthProblem) => void = () => {};

/** Registers what to do when an answer reveals an auth problem (the session store does; one handler, the last set wins). */
export function setAuthProblemHandler(handler: (problem: AuthProblem) => void): void {
  authProblemHandler = handler;
}

/**
 * Sends one same-origin request (the sign-in cookie rides along) and resolves to the response
 * when it is 2xx; otherwise throws ApiError with the server's code and message (status 0 for a
 * network failure), after reporting a 401 or an inactive account unless `reportAuth` is false.
 */
export async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      credentials: "same-origin",
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "network", `Network error: ${errorMessage(error)}`);
  }
  if (response.ok) return response;

  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const parsed = errorBodySchema.safeParse(await response.json());
    if (parsed.success) {
      code = parsed.data.error.code;
      message = parsed.data.error.message;
    }
  } catch {
    // not JSON; keep the status line
  }
  if (options.reportAuth !== false) {
    if (response.status === 401) authProblemHandler({ kind: "signedOut" });
    else if (response.status === 403 && (code === "account_pending" || code === "account_suspended")) authProblemHandler({ kind: "inactive", code });
  }
  throw new ApiError(response.status, code, message);
}

/** `send`, then the body checked with `schema`; throws ApiError `bad_response` when it does not parse. */
export async function requestJson<T>(path: string, schema: z.ZodType<T>, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.status, "bad_response", `Unreadable response from ${path}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new ApiError(response.status, "bad_response", `Unexpected response from ${path}: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** Parses each row on its own: a bad row is skipped and reported, never fails the list. */
export function parseRows<T>(rows: unknown[], schema: z.ZodType<T>, what: string): T[] {
  const out: T[] = [];
  rows.forEach((row, index) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) out.push(parsed.data);
    else console.warn(`[sam] skipped an unreadable ${what} (row ${index})`, parsed.error.issues);
  });
  return out;
}

const seg = encodeURIComponent;

// ---- shapes the protocol module does not define ----

const userRoleSchema = z.enum(["admin", "member"]);
const userStatusSchema = z.enum(["active", "pending", "suspended"]);
/** A person's account: SAM-wide role (`admin` or `member`) and status (`active`, `pending` approval, `suspended`). */
export const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: userRoleSchema,
  status: userStatusSchema,
  avatarUrl: z.string().optional(),
});
/** A person's account; see {@link userSchema}. */
export type User = z.infer<typeof userSchema>;
const meSchema = z.object({ user: userSchema });

/** A project as listed. */
export type Project = { id: string; name: string; createdAt: string };
const projectSchema = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });

/** A model of the catalog, for the model picker. */
export type ModelInfo = { id: string; label: string; provider: string; available: boolean; note?: string };
const modelSchema = z.object({
  id: z.string(),
  label: z.string(),
  provider: z.string(),
  available: z.boolean(),
  note: z.string().optional(),
});

// ---- endpoints ----

/**
 * `GET /api/me`: the signed-in person, whatever their status (a pending or suspended account is
 * answered too). Rejects with ApiError 401 when signed out; `reportAuth` as in RequestOptions.
 */
export async function getMe(options: { reportAuth?: boolean; signal?: AbortSignal } = {}): Promise<User> {
  const body = await requestJson("/api/me", meSchema, options);
  return body.user;
}

/** `GET /api/projects`. */
export async function listProjects(): Promise<Project[]> {
  const body = await requestJson("/api/projects", z.object({ projects: z.array(z.unknown()) }));
  return parseRows(body.projects, projectSchema, "project");
}

/** `POST /api/projects`. */
export function createProject(name: string): Promise<Project> {
  return requestJson("/api/projects", projectSchema, { method: "POST", body: { name } });
}

/** `GET /api/projects/:id/sessions`. */
export async function listSessions(projectId: string): Promise<ChatSession[]> {
  const body = await requestJson(`/api/projects/${seg(projectId)}/sessions`, z.object({ sessions: z.array(z.unknown()) }));
  return parseRows(body.sessions, chatSessionSchema, "session");
}

/** `POST /api/projects/:id/sessions`: a `chat` session, or a `tech-lead` one (the lead answers every message). */
export function createSession(
  projectId: string,
  title: string | undefined,
  kind: SessionKind = "chat",
): Promise<{ id: string; title: string; kind: SessionKind; createdAt: string }> {
  return requestJson(
    `/api/projects/${seg(projectId)}/sessions`,
    z.object({ id: z.string(), title: z.string(), kind: sessionKindSchema.default(kind), createdAt: z.string().default(() => new Date().toISOString()) }),
    { method: "POST", body: title ? { title, kind } : { kind } },
  );
}

/** `GET .../messages?before&limit`: a page of messages, oldest first (latest page without `before`). */
export async function listMessages(
  projectId: string,
  sessionId: string,
  page: { before?: number; limit?: number } = {},
  signal?: AbortSignal,
): Promise<ChatMessage[]> {
  const query = new URLSearchParams();
  if (page.before !== undefined) query.set("before", String(page.before));
  if (page.limit !== undefined) query.set("limit", String(page.limit));
  const qs = query.toString();
  const body = await requestJson(
    `/api/projects/${seg(projectId)}/sessions/${seg(sessionId)}/messages${qs ? `?${qs}` : ""}`,
    z.object({ messages: z.array(z.unknown()) }),
    { signal },
  );
  return parseRows(body.messages, chatMessageSchema, "message");
}

/** `POST .../messages`: sends a chat message over HTTP (used when the socket is not open). */
export function postMessage(projectId: string, sessionId: string, text: string): Promise<ChatMessage> {
  return requestJson(`/api/projects/${seg(projectId)}/sessions/${seg(sessionId)}/messages`, chatMessageSchema, {
    method: "POST",
    body: { text },
  });
}

/** `GET /api/models`. */
export async function listModels(): Promise<ModelInfo[]> {
  const body = await requestJson("/api/models", z.object({ models: z.array(z.unknown()) }));
  return parseRows(body.models, modelSchema, "model");
}

/** `POST /api/projects/:id/tasks`. */
export function createTask(projectId: string, spec: TaskRequestInput): Promise<{ id: string; status: TaskStatus }> {
  return requestJson(`/api/projects/${seg(projectId)}/tasks`, z.object({ id: z.string(), status: taskStatusSchema }), {
    method: "POST",
    body: spec,
  });
}

/** `GET /api/projects/:id/tasks` (newest first). */
export async function listTasks(projectId: string): Promise<TaskView[]> {
  const body = await requestJson(`/api/projects/${seg(projectId)}/tasks`, z.object({ tasks: z.array(z.unknown()) }));
  return parseRows(body.tasks, taskViewSchema, "task");
}

/** `GET /api/tasks/:id`. */
export function getTask(taskId: string, signal?: AbortSignal): Promise<TaskView> {
  return requestJson(`/api/tasks/${seg(taskId)}`, taskViewSchema, { signal });
}

/** `GET /api/tasks/:id/transcript?after=n`: events with seq > after. */
export async function getTranscript(taskId: string, after: number, signal?: AbortSignal): Promise<TranscriptEvent[]> {
  const body = await requestJson(
    `/api/tasks/${seg(taskId)}/transcript?after=${after}`,
    z.object({ events: z.array(z.unknown()) }),
    { signal },
  );
  return parseRows(body.events, transcriptEventSchema, "transcript event");
}

/** `POST /api/tasks/:id/cancel`. */
export async function cancelTask(taskId: string): Promise<void> {
  await send(`/api/tasks/${seg(taskId)}/cancel`, { method: "POST" });
}

/** `GET /api/tasks/:id/files/<path>`: the raw content of a file of the task's workspace. */
export async function getTaskFile(taskId: string, path: string): Promise<string> {
  const encodedPath = path.split("/").map(seg).join("/");
  const response = await send(`/api/tasks/${seg(taskId)}/files/${encodedPath}`, {});
  return response.text();
}

const taskDiffSchema = z.object({ diff: z.string(), changedFiles: z.array(z.string()) });

/** `GET /api/tasks/:id/diff`: the task's workspace changes as git's unified diff, and the changed paths. */
export function getTaskDiff(taskId: string, signal?: AbortSignal): Promise<z.infer<typeof taskDiffSchema>> {
  return requestJson(`/api/tasks/${seg(taskId)}/diff`, taskDiffSchema, { signal });
}

// ---- project settings ----

/** A project with its settings, as `GET /api/projects/:id` shows it (`repository`: null when it names none). */
export type ProjectDetails = Project & { techLead: TechLeadSettings | null; limits: ProjectLimits; repository: RepositoryView | null };
const projectDetailsSchema = projectSchema.extend({ techLead: techLeadSettingsSchema.nullable(), limits: projectLimitsSchema, repository: repositoryViewSchema.nullable().default(null) });

/** `GET /api/projects/:id`. */
export function getProject(projectId: string, signal?: AbortSignal): Promise<ProjectDetails> {
  return requestJson(`/api/projects/${seg(projectId)}`, projectDetailsSchema, { signal });
}

/** `PATCH /api/projects/:id`: changes the tech lead (null clears it), some limits, and/or the repository (owners; null removes it). */
export function updateProject(
  projectId: string,
  patch: { techLead?: TechLeadSettings | null; limits?: Partial<ProjectLimits>; repository?: { url: string; defaultBranch: string } | null },
): Promise<ProjectDetails> {
  return requestJson(`/api/projects/${seg(projectId)}`, projectDetailsSchema, { method: "PATCH", body: patch });
}

// ---- missions ----

/** `GET /api/projects/:id/missions` (newest first). */
export async function listMissions(projectId: string, signal?: AbortSignal): Promise<MissionView[]> {
  const body = await requestJson(`/api/projects/${seg(projectId)}/missions`, z.object({ missions: z.array(z.unknown()) }), { signal });
  return parseRows(body.missions, missionViewSchema, "mission");
}

/** `POST /api/projects/:id/missions`. */
export function createMission(projectId: string, spec: MissionRequestInput): Promise<{ id: string; status: MissionStatus }> {
  return requestJson(`/api/projects/${seg(projectId)}/missions`, z.object({ id: z.string(), status: missionStatusSchema }), {
    method: "POST",
    body: spec,
  });
}

/** `GET /api/missions/:id`. */
export function getMission(missionId: string, signal?: AbortSignal): Promise<MissionView> {
  return requestJson(`/api/missions/${seg(missionId)}`, missionViewSchema, { signal });
}

/** A mission control action. */
export type MissionAction = "pause" | "resume" | "cancel";

/** `POST /api/missions/:id/{pause,resume,cancel}`; resolves to the mission after it when the answer shows it. */
export async function controlMission(missionId: string, action: MissionAction): Promise<MissionView | null> {
  const response = await send(`/api/missions/${seg(missionId)}/${action}`, { method: "POST" });
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return null;
  }
  const parsed = missionViewSchema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

// ---- talking to a task ----

/** `POST /api/tasks/:id/answer`: answers the question the task waits on; resolves to the task after it. */
export function answerTask(taskId: string, text: string): Promise<TaskView> {
  return requestJson(`/api/tasks/${seg(taskId)}/answer`, taskViewSchema, { method: "POST", body: { text } });
}

/** `POST /api/tasks/:id/messages`: gives a running task a message. */
export async function messageTask(taskId: string, text: string): Promise<void> {
  await send(`/api/tasks/${seg(taskId)}/messages`, { method: "POST", body: { text } });
}

// ---- budgets and usage ----

const budgetLineSchema = z.object({
  limit: z.number().nullable(),
  used: z.number(),
  reserved: z.number(),
  left: z.number().nullable(),
  resetsAt: z.string(),
});
/** One budget: limit (null: none), used and reserved in the current period, what is left. */
export type BudgetLine = z.infer<typeof budgetLineSchema>;
const budgetsSchema = z.object({ dailyInputTokens: budgetLineSchema, dailyOutputTokens: budgetLineSchema, monthlyUsd: budgetLineSchema });
/** `GET /api/me/budgets`: daily tokens (input, output) and the monthly USD cap. */
export type Budgets = z.infer<typeof budgetsSchema>;

const usageGroupSchema = z.object({
  key: z.string(),
  calls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedInputTokens: z.number(),
  costUsd: z.number(),
});
/** Totals of one group of model calls (USD, tokens). */
export type UsageGroup = z.infer<typeof usageGroupSchema>;
const usageReportSchema = z.object({
  groupBy: z.string(),
  from: z.string(),
  to: z.string(),
  totals: usageGroupSchema.omit({ key: true }),
  groups: z.array(usageGroupSchema),
});
/** `GET /api/usage`: totals and groups within [from, to). */
export type UsageReport = z.infer<typeof usageReportSchema>;

/** `GET /api/me/budgets`. */
export function getBudgets(signal?: AbortSignal): Promise<Budgets> {
  return requestJson("/api/me/budgets", budgetsSchema, { signal });
}

/** `PUT /api/me/budgets`: any subset of the limits; null removes one. */
export function putBudgets(update: Partial<Record<"dailyInputTokens" | "dailyOutputTokens" | "monthlyUsd", number | null>>): Promise<Budgets> {
  return requestJson("/api/me/budgets", budgetsSchema, { method: "PUT", body: update });
}

/** `GET /api/usage?groupBy&from&to` (from/to: YYYY-MM-DD). */
export function getUsage(groupBy: "day" | "model" | "project" | "task" | "mission", range: { from?: string; to?: string } = {}, signal?: AbortSignal): Promise<UsageReport> {
  const query = new URLSearchParams({ groupBy });
  if (range.from) query.set("from", range.from);
  if (range.to) query.set("to", range.to);
  return requestJson(`/api/usage?${query.toString()}`, usageReportSchema, { signal });
}

// ---- payer mode and provider credentials ----

const payerModeSchema = z.enum(["platform", "own-key"]);
/** Who pays for model calls: the platform's credit, or the user's own provider keys. */
export type PayerMode = z.infer<typeof payerModeSchema>;
/** The payer modes, in the order the UI offers them. */
export const PAYER_MODES: readonly PayerMode[] = payerModeSchema.options;
const userSettingsSchema = z.object({ payerMode: payerModeSchema });
/** The user's own model settings (`/api/me/settings`). */
export type UserSettings = z.infer<typeof userSettingsSchema>;

/** `GET /api/me/settings`: the payer mode. */
export function getSettings(signal?: AbortSignal): Promise<UserSettings> {
  return requestJson("/api/me/settings", userSettingsSchema, { signal });
}

/** `PUT /api/me/settings`: sets the payer mode; resolves to the stored settings. */
export function putSettings(settings: UserSettings): Promise<UserSettings> {
  return requestJson("/api/me/settings", userSettingsSchema, { method: "PUT", body: settings });
}

const credentialProviderSchema = z.enum(["openai", "anthropic"]);
/** A provider a user can store a key for. */
export type CredentialProvider = z.infer<typeof credentialProviderSchema>;
/** The providers, in the order the UI offers them. */
export const CREDENTIAL_PROVIDERS: readonly CredentialProvider[] = credentialProviderSchema.options;
const credentialSchema = z.object({
  id: z.string(),
  provider: credentialProviderSchema,
  label: z.string(),
  last4: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
/** A stored provider key as the API shows it: never the key, only its last four characters. */
export type Credential = z.infer<typeof credentialSchema>;

/** `GET /api/credentials` (newest first). */
export async function listCredentials(signal?: AbortSignal): Promise<Credential[]> {
  const body = await requestJson("/api/credentials", z.object({ credentials: z.array(z.unknown()) }), { signal });
  return parseRows(body.credentials, credentialSchema, "credential");
}

/**
 * `POST /api/credentials`: the server checks the key with the provider before storing it.
 * Rejects with ApiError `credential_invalid` (400), `upstream_unavailable` (502) or
 * `encryption_unavailable` (503); nothing is stored then.
 */
export function addCredential(input: { provider: CredentialProvider; key: string; label?: string }): Promise<Credential> {
  return requestJson("/api/credentials", credentialSchema, { method: "POST", body: input });
}

/** `DELETE /api/credentials/:id`. */
export async function deleteCredential(credentialId: string): Promise<void> {
  await send(`/api/credentials/${seg(credentialId)}`, { method: "DELETE" });
}

const projectModelSettingsSchema = z.object({
  payerMode: payerModeSchema.nullable(),
  defaultTaskBudgetUsd: z.number().nullable(),
  effectivePayerMode: payerModeSchema,
});
/** A project's model settings: payer-mode override (null: the user's), default task budget (USD; null: none), and the mode in effect. */
export type ProjectModelSettings = z.infer<typeof projectModelSettingsSchema>;

/** `GET /api/projects/:id/model-settings`. */
export function getProjectModelSettings(projectId: string, signal?: AbortSignal): Promise<ProjectModelSettings> {
  return requestJson(`/api/projects/${seg(projectId)}/model-settings`, projectModelSettingsSchema, { signal });
}

/** `PUT /api/projects/:id/model-settings`: any subset; null clears the override or the budget. */
export function putProjectModelSettings(
  projectId: string,
  update: { payerMode?: PayerMode | null; defaultTaskBudgetUsd?: number | null },
): Promise<ProjectModelSettings> {
  return requestJson(`/api/projects/${seg(projectId)}/model-settings`, projectModelSettingsSchema, { method: "PUT", body: update });
}
