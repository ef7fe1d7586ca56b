/**
 * The model gate (DESIGN.md §2.4): every model call — a task's step or a proxy request — goes
 * through here. Before the call, `beginGatedCall` asks the user's `UserAgent` to check the
 * payer mode (and the credential it needs) and every budget that applies (daily tokens, monthly
 * USD, the task's and the mission's USD), reserving the call's estimate; the user's key, if the
 * payer mode is own-key, is decrypted only then and only in memory. After the call,
 * `GatedCall.settle` records the upstream's reported usage and cost in the ledger.
 *
 * Seam for tasks and missions:
 *  - `checkStart(env, {...})` before creating a task or mission (refuses with a clear message);
 *  - `runGatedModelStep(env, context, modelId, script, step, ahead?)` for a tool-loop step, and
 *    `admitAhead` to ask for the next step's admission while this step's tools run;
 *  - `beginGatedCall(env, context, modelId, estimate)` + `settle(...)` for any other call.
 * `GateContext.missionId` / `missionBudgetUsd` make a call count against a mission's budget.
 */
import { getAgentByName } from "agents";
import type { ModelMessage } from "ai";
import type { PendingSettle, UserAgent } from "../actors/user-agent.ts";
import { costUsd, findCatalogModel, MODEL_CATALOG, parseModelId, priceOf, type CatalogModel, type ModelProvider } from "./catalog.ts";
import { openSecret } from "./credentials.ts";
import { ModelUnavailableError, resolveModel, type CallAuth, type CallContext } from "./registry.ts";
import type { ScriptStep } from "../shared/script.ts";
import { runModelStep, type ModelStepResult } from "./step.ts";
import type { BudgetScope, CallStatus, PayerMode, UsageEstimate } from "./usage.ts";

/**
 * How long a finished tool-loop step's usage may wait to ride along with the loop's next
 * `beginCall` before it is sent on its own, ms. Short, so usage shows up almost at once.
 */
const DEFERRED_SETTLE_MS = 200;

/** Output tokens reserved for a call that sets no `max_tokens`. */
export const DEFAULT_OUTPUT_ESTIMATE = 1024;
/** How long the compat server's model list is reused before it is fetched again, ms. */
const COMPAT_MODELS_TTL_MS = 60_000;

/** Who a call is for, and the task and mission budgets (USD) it counts against. */
export interface GateContext extends CallContext {
  /** The task's USD budget; null or absent: none. */
  taskBudgetUsd?: number | null;
  /** The mission's USD budget; null or absent: none. */
  missionBudgetUsd?: number | null;
}

/** A budget has nothing left for this call. `scope` names which one. */
export class BudgetExceededError extends Error {
  readonly code = "budget_exceeded";
  readonly scope: BudgetScope;
  constructor(scope: BudgetScope, message: string) {
    super(message);
    this.name = "BudgetExceededError";
    this.scope = scope;
  }
}

/** The payer mode cannot pay for this model: own-key without a key, or Workers AI in own-key mode. */
export class PayerModeError extends Error {
  readonly code: "credential_missing" | "payer_mode_conflict";
  constructor(code: "credential_missing" | "payer_mode_conflict", message: string) {
    super(message);
    this.name = "PayerModeError";
    this.code = code;
  }
}

const initialized = new Set<string>();

/**
 * Usage of finished tool-loop steps not yet sent, per loop (`userId:taskId`, so only that task's
 * own actor picks it up), with the timer that sends it alone and the send in progress.
 */
const deferredSettles = new Map<string, { settles: PendingSettle[]; timer: ReturnType<typeof setTimeout> | null; sending: Promise<void> | null }>();

function deferredKey(context: GateContext): string | null {
  return context.taskId ? `${context.userId}:${context.taskId}` : null;
}

/** Sends a loop's deferred usage now (on its own). Never throws: a failure is logged. */
async function flushDeferred(env: Env, userId: string, key: string): Promise<void> {
  const slot = deferredSettles.get(key);
  if (!slot || slot.settles.length === 0) return;
  if (slot.timer) clearTimeout(slot.timer);
  slot.timer = null;
  const settles = slot.settles.splice(0);
  const sending = (async () => {
    try {
      await (await userAgentStub(env, userId)).settleMany(settles);
    } catch (error) {
      console.error(`usage of ${settles.length} call(s) for ${userId} could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
  })();
  slot.sending = sending;
  await sending;
  if (slot.sending === sending) slot.sending = null;
  forgetIfIdle(key);
}

/** Drops a loop's entry once nothing of it is pending (loops end; isolates live on). */
function forgetIfIdle(key: string): void {
  const slot = deferredSettles.get(key);
  if (slot && slot.settles.length === 0 && !slot.timer && !slot.sending) deferredSettles.delete(key);
}

/**
 * The user's actor stub. The first use in an isolate goes through `getAgentByName` (which
 * initializes the actor, one round trip); later ones address it directly.
 */
export async function userAgentStub(env: Env, userId: string): Promise<DurableObjectStub<UserAgent>> {
  if (initialized.has(userId)) return env.UserAgent.get(env.UserAgent.idFromName(userId));
  const stub = await getAgentByName(env.UserAgent, userId);
  initialized.add(userId);
  return stub;
}

let compatCache: { baseUrl: string; at: number; names: Promise<string[]> } | null = null;

/**
 * The model names the compat server (`SAM_COMPAT_BASE_URL`) lists at `GET /models`, cached for a
 * minute. Empty when no server is configured; a failed fetch is logged, not cached, and gives [].
 */
export async function compatModelNames(env: Env): Promise<string[]> {
  const baseUrl = env.SAM_COMPAT_BASE_URL?.replace(/\/$/, "");
  if (!baseUrl) return [];
  if (compatCache && compatCache.baseUrl === baseUrl && Date.now() - compatCache.at < COMPAT_MODELS_TTL_MS) return compatCache.names;
  const names = (async () => {
    const response = await fetch(`${baseUrl}/models`, {
      headers: env.SAM_COMPAT_API_KEY ? { authorization: `Bearer ${env.SAM_COMPAT_API_KEY}` } : {},
    });
    if (!response.ok) throw new Error(`GET ${baseUrl}/models answered ${response.status}`);
    const body = (await response.json()) as { data?: { id?: unknown }[] };
    return (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === "string");
  })();
  compatCache = { baseUrl, at: Date.now(), names };
  try {
    return await names;
  } catch (error) {
    compatCache = null;
    console.error(`compat models: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

/** A model as the catalog offers it, with whether it can run here (provider configured). */
export interface OfferedModel extends CatalogModel {
  available: boolean;
}

/**
 * The whole catalog: the static table plus one `compat/<name>` entry per model the compat
 * server lists (prices from SAM_COMPAT_PRICES, default 0), each marked available when its
 * provider is configured here (for gateway models: AI Gateway and a gateway token or own key).
 */
export async function offeredModels(env: Env): Promise<OfferedModel[]> {
  const gateway = Boolean(env.AI_GATEWAY_BASE_URL || (env.CF_ACCOUNT_ID && env.AI_GATEWAY_ID));
  const models: OfferedModel[] = MODEL_CATALOG.map((m) => ({
    ...m,
    available:
      m.provider === "scripted" ||
      (m.provider === "workers-ai" && env.AI !== undefined) ||
      ((m.provider === "openai" || m.provider === "anthropic") && gateway && Boolean(env.AI_GATEWAY_TOKEN)),
  }));
  for (const name of await compatModelNames(env)) {
    const id = `compat/${name}`;
    const price = priceOf(id, env.SAM_COMPAT_PRICES);
    models.push({
      id,
      label: `${name} (OpenAI-compatible server)`,
      provider: "compat",
      contextWindow: 0,
      inputPerMTokUsd: price.inputPerMTokUsd,
      outputPerMTokUsd: price.outputPerMTokUsd,
      cachedInputPerMTokUsd: price.cachedInputPerMTokUsd,
      platformOffered: false,
      available: true,
      note: env.SAM_COMPAT_BASE_URL,
    });
  }
  return models;
}

/**
 * Checks that `modelId` is in the catalog: a static entry, or `compat/<name>` where the compat
 * server lists `<name>`. Returns its provider.
 * @throws ModelUnavailableError naming the model otherwise.
 */
export async function catalogProvider(env: Env, modelId: string): Promise<ModelProvider> {
  const parsed = parseModelId(modelId);
  if (!parsed) throw new ModelUnavailableError(`model "${modelId}" is not in the catalog (see GET /api/models)`);
  if (parsed.provider === "compat") {
    if (!env.SAM_COMPAT_BASE_URL) throw new ModelUnavailableError(`"${modelId}" needs SAM_COMPAT_BASE_URL (an OpenAI-compatible server)`);
    if (!(await compatModelNames(env)).includes(parsed.name)) {
      throw new ModelUnavailableError(`model "${modelId}" is not served by the OpenAI-compatible server (see GET /api/models)`);
    }
    return "compat";
  }
  if (!findCatalogModel(modelId)) throw new ModelUnavailableError(`model "${modelId}" is not in the catalog (see GET /api/models)`);
  return parsed.provider;
}

/**
 * What a call is expected to use, reserved until it settles: input tokens from the request's
 * size (1 token per 4 characters), output tokens from `maxOutputTokens` (else
 * DEFAULT_OUTPUT_ESTIMATE), and their cost at the model's prices (USD).
 */
export function estimateUsage(env: Env, modelId: string, inputChars: number, maxOutputTokens?: number | null): UsageEstimate {
  const inputTokens = Math.ceil(inputChars / 4);
  const outputTokens = maxOutputTokens && maxOutputTokens > 0 ? maxOutputTokens : DEFAULT_OUTPUT_ESTIMATE;
  return { inputTokens, outputTokens, costUsd: costUsd(modelId, inputTokens, outputTokens, 0, env.SAM_COMPAT_PRICES) };
}

/** What a finished (or failed) call used, as the upstream reported it. */
export interface CallOutcome {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  status: CallStatus;
  /** Upstream HTTP status of an error answer. */
  httpStatus?: number | null;
  /** From just before the upstream request until its last byte, ms. */
  latencyMs: number;
}

/** An admitted call: who pays, with what key, and how to record it when it ends. */
export interface GatedCall {
  auth: CallAuth;
  /** When the call was admitted (ISO 8601). */
  startedAt: string;
  /**
   * Records the call's outcome (usage, cost, latency, status) and releases its reservation.
   * Returns the cost in USD. Never throws: a failure to record is logged.
   */
  settle(outcome: CallOutcome): Promise<number>;
  /** The cost in USD of an outcome at the model's prices (what `settle` records). */
  costOf(outcome: Pick<CallOutcome, "inputTokens" | "outputTokens" | "cachedInputTokens">): number;
  /**
   * Drops the reservation of a call that was never made (an admission asked for ahead and not
   * used); nothing is recorded in the ledger. Never throws: a failure is logged (the
   * reservation then expires on its own).
   */
  release(): Promise<void>;
  /**
   * Like `settle`, for a tool loop (a context with a `taskId`): the usage is sent along with
   * the loop's next `beginCall` — one round trip per step instead of two — or on its own after
   * 200 ms. The next `beginCall` of the loop always counts it first. Returns the cost in USD.
   */
  defer(outcome: CallOutcome): number;
}

/**
 * Admits one call of `modelId` for `context`: checks the payer mode and every budget in the
 * user's actor and reserves `estimate`; decrypts the user's key when the payer mode is own-key.
 * @throws BudgetExceededError when a budget has nothing left (no reservation is made).
 * @throws PayerModeError when the payer mode cannot pay for this model.
 * @throws EncryptionUnavailableError when the stored key cannot be decrypted (the call is settled as failed).
 */
export async function beginGatedCall(env: Env, context: GateContext, modelId: string, estimate: UsageEstimate, source: "task" | "lead" | "proxy"): Promise<GatedCall> {
  const provider = parseModelId(modelId)?.provider;
  if (!provider) throw new ModelUnavailableError(`model "${modelId}" is not in the catalog`);
  const user = await userAgentStub(env, context.userId);
  // A loop's earlier steps are recorded in this same round trip (or have been, in order).
  const key = deferredKey(context);
  const slot = key ? deferredSettles.get(key) : undefined;
  if (slot?.sending) await slot.sending;
  const settles = slot ? slot.settles.splice(0) : [];
  if (slot?.timer) {
    clearTimeout(slot.timer);
    slot.timer = null;
  }
  const admitted = await user
    .beginCall({
      settles,
      provider,
      projectId: context.projectId,
      taskId: context.taskId ?? null,
      missionId: context.missionId ?? null,
      taskBudgetUsd: context.taskBudgetUsd ?? null,
      missionBudgetUsd: context.missionBudgetUsd ?? null,
      estimate,
    })
    .catch((error: unknown) => {
      // Not delivered: keep the earlier steps' usage for the next attempt or the timer.
      if (slot && settles.length) {
        slot.settles.unshift(...settles);
        slot.timer ??= setTimeout(() => void flushDeferred(env, context.userId, key!), DEFERRED_SETTLE_MS);
      }
      throw error;
    });
  if (key) forgetIfIdle(key);
  if (!admitted.ok) {
    if (admitted.code === "budget_exceeded") throw new BudgetExceededError(admitted.scope, admitted.message);
    throw new PayerModeError(admitted.code, admitted.message);
  }
  const startedAt = new Date().toISOString();
  let settled = false;
  const entryOf = (outcome: CallOutcome, cost: number) => ({
    at: startedAt,
    projectId: context.projectId,
    missionId: context.missionId ?? null,
    taskId: context.taskId ?? null,
    model: modelId,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    cachedInputTokens: outcome.cachedInputTokens,
    costUsd: cost,
    latencyMs: outcome.latencyMs,
    status: outcome.status,
    httpStatus: outcome.httpStatus ?? null,
    source,
  });
  const costOf = (outcome: Pick<CallOutcome, "inputTokens" | "outputTokens" | "cachedInputTokens">) =>
    costUsd(modelId, outcome.inputTokens, outcome.outputTokens, outcome.cachedInputTokens, env.SAM_COMPAT_PRICES);
  const settle = async (outcome: CallOutcome): Promise<number> => {
    if (settled) return 0;
    settled = true;
    const cost = costOf(outcome);
    try {
      await user.settle(admitted.reservationId, entryOf(outcome, cost));
    } catch (error) {
      console.error(`usage of ${modelId} for ${context.userId} could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
    }
    return cost;
  };
  let apiKey: string | null = null;
  if (admitted.credential) {
    try {
      apiKey = await openSecret(env.ENCRYPTION_KEY, context.userId, admitted.credential.id, admitted.credential);
    } catch (error) {
      await settle({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, status: "failed", latencyMs: 0 });
      throw error;
    }
  }
  const defer = (outcome: CallOutcome): number => {
    const cost = costOf(outcome);
    if (settled) return cost;
    if (!key) {
      void settle(outcome);
      return cost;
    }
    settled = true;
    const pending = deferredSettles.get(key) ?? { settles: [], timer: null, sending: null };
    deferredSettles.set(key, pending);
    pending.settles.push({ reservationId: admitted.reservationId, entry: entryOf(outcome, cost) });
    pending.timer ??= setTimeout(() => void flushDeferred(env, context.userId, key), DEFERRED_SETTLE_MS);
    return cost;
  };
  const release = async (): Promise<void> => {
    if (settled) return;
    settled = true;
    try {
      await user.release(admitted.reservationId);
    } catch (error) {
      console.error(`a reservation of ${context.userId} could not be released: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return { auth: { payerMode: admitted.payerMode as PayerMode, apiKey }, startedAt, settle, costOf, defer, release };
}

/** JSON length of each message seen, so a loop's growing conversation is measured once per message. */
const messageChars = new WeakMap<object, number>();

/** The conversation's size in characters of JSON (the input estimate's basis). */
function conversationChars(messages: readonly ModelMessage[]): number {
  let total = 0;
  for (const message of messages) {
    let chars = messageChars.get(message);
    if (chars === undefined) {
      chars = JSON.stringify(message).length;
      messageChars.set(message, chars);
    }
    total += chars;
  }
  return total;
}

/** A step's input size for its estimate: the instructions plus the conversation, characters of JSON. */
export function stepInputChars(instructions: string, messages: readonly ModelMessage[]): number {
  return instructions.length + conversationChars(messages);
}

/**
 * Characters of tool output an admission asked for ahead allows per pending tool call. A step
 * whose real input turns out larger (a long tool result) is admitted again with its exact
 * estimate, so this only decides how often that extra round trip happens, never what is
 * admitted. Small, because each reservation holds this much against budgets shared by all of
 * the user's running tasks.
 */
export const AHEAD_OUTPUT_ALLOWANCE_CHARS = 4096;

/** An admission for a tool loop's next step, asked for before its input is complete. */
export interface StepAdmission {
  /** The input size (characters) it was estimated and reserved for. */
  inputChars: number;
  /** The admitted call, or null when it was refused or failed (the step then asks again). */
  call: Promise<GatedCall | null>;
}

/**
 * Asks the gate now for the admission of a loop's next model step, reserving the estimate for
 * `inputChars` characters of input, so the round trip overlaps the current step's tool calls.
 * `runGatedModelStep` uses it when the step's real input fits in `inputChars`; otherwise, or
 * when it was refused, the step is admitted the usual way, so no step is refused that its exact
 * estimate would have let through. Meanwhile it is a call in flight like any other: its
 * reservation (including the allowance) counts in other calls' checks, and a budget is
 * overshot by at most the calls in flight. An unused admission must be given to
 * `releaseAdmission`.
 */
export function admitAhead(env: Env, context: GateContext, modelId: string, inputChars: number): StepAdmission {
  const call = beginGatedCall(env, context, modelId, estimateUsage(env, modelId, inputChars), "task").catch(() => null);
  return { inputChars, call };
}

/** Drops an admission asked for ahead that will not be used (no ledger entry). Never throws. */
export async function releaseAdmission(admission: StepAdmission): Promise<void> {
  await (await admission.call)?.release();
}

/** A gated tool-loop step: the model's answer plus its cost in USD (from the upstream's usage). */
export interface GatedStepResult extends ModelStepResult {
  costUsd: number;
}

/**
 * One model step of a task (or any tool loop) through the gate: admits it against the budgets
 * of `context` (or uses `ahead`, an admission asked for earlier, when the step's input fits in
 * it; an unfitting one is released), resolves the model with the payer mode and key, runs it,
 * and records usage.
 * @throws BudgetExceededError / PayerModeError before the call; whatever the provider throws
 *   during it (the failed call is recorded with status `failed` or `aborted`).
 */
export async function runGatedModelStep(
  env: Env,
  context: GateContext,
  modelId: string,
  script: readonly ScriptStep[] | undefined,
  step: Omit<Parameters<typeof runModelStep>[0], "model">,
  ahead: StepAdmission | null = null,
): Promise<GatedStepResult> {
  const chars = stepInputChars(step.instructions, step.messages);
  let call: GatedCall | null = null;
  if (ahead) {
    const early = await ahead.call;
    if (early && ahead.inputChars >= chars) call = early;
    else if (early) void early.release();
  }
  call ??= await beginGatedCall(env, context, modelId, estimateUsage(env, modelId, chars), "task");
  const started = Date.now();
  let result: ModelStepResult;
  try {
    const model = resolveModel(modelId, env, context, script, call.auth);
    result = await runModelStep({ ...step, model });
  } catch (error) {
    await call.settle({
      inputTokens: 0,
      outputTokens: 0,
      cachedInputTokens: 0,
      status: step.abortSignal?.aborted ? "aborted" : "failed",
      latencyMs: Date.now() - started,
    });
    // A provider may echo the key in its error; the message ends up in the task's transcript.
    const key = call.auth.apiKey;
    if (key && error instanceof Error && (error.message.includes(key) || String(error.stack).includes(key))) {
      throw new Error(error.message.split(key).join("[redacted]"));
    }
    throw error;
  }
  const outcome: CallOutcome = {
    inputTokens: result.inputTokens,
    outputTokens: result.outputTokens,
    cachedInputTokens: result.cachedInputTokens,
    status: "ok",
    latencyMs: result.durationMs,
  };
  // Recorded with the loop's next call (or within 200 ms), which counts it before admitting.
  return { ...result, costUsd: call.defer(outcome) };
}

/** The minimum left (USD, tokens) below which a task or mission is refused at start. */
export function startMinimums(env: Env): { minUsd: number; minTokens: number } {
  const minUsd = Number(env.SAM_MIN_START_USD ?? "0.01");
  const minTokens = Number(env.SAM_MIN_START_TOKENS ?? "1000");
  return { minUsd: Number.isFinite(minUsd) && minUsd >= 0 ? minUsd : 0.01, minTokens: Number.isFinite(minTokens) && minTokens >= 0 ? minTokens : 1000 };
}

/** The answer of `checkStart`: the budget the task or mission gets, or why it may not start. */
export type StartDecision =
  | { ok: true; budgetUsd: number | null }
  | { ok: false; status: 400 | 429; code: "budget_exceeded" | "credential_missing" | "payer_mode_conflict"; message: string };

/**
 * Before a task or mission is created: refuses it when the user's remaining budgets are below
 * the configured minimums (SAM_MIN_START_USD, SAM_MIN_START_TOKENS), when its own budget is
 * below the USD minimum, or when the payer mode cannot pay for `modelId`. Returns its USD
 * budget: `budgetUsd` (null: none), or when absent the project's default task budget (or none).
 */
export async function checkStart(env: Env, input: { userId: string; projectId: string; modelId: string; budgetUsd?: number | null }): Promise<StartDecision> {
  const provider = parseModelId(input.modelId)?.provider ?? "scripted";
  const user = await userAgentStub(env, input.userId);
  const check = await user.checkStart({ provider, projectId: input.projectId, budgetUsd: input.budgetUsd, ...startMinimums(env) });
  if (!check.ok) return { ok: false, status: check.code === "budget_exceeded" ? 429 : 400, code: check.code, message: check.message };
  return { ok: true, budgetUsd: input.budgetUsd === undefined ? check.defaultTaskBudgetUsd : input.budgetUsd };
}
