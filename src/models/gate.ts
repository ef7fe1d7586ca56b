/**
 * The model gate (docs/architecture.md §2.4): every model call — a task's step, a tech lead's turn or a
 * proxy request — goes through here. Before the call, `beginGatedCall` asks the user's actor
 * (`UserAgent.beginCall`, see user-actor.ts) to check the payer mode (and the credential it
 * needs) and every budget that applies (daily tokens, monthly USD, the task's and the mission's
 * USD; the rules are budget-rules.ts), reserving the call's estimate (estimate.ts); the user's
 * key, if the payer mode is own-key, is decrypted only then and only in memory. After the call,
 * `GatedCall.settle` records the upstream's reported usage and cost in the ledger.
 *
 * Seam for callers:
 *  - `runGatedModelStep(env, context, modelId, script, step, ahead?)` for a tool-loop step, and
 *    `admitAhead` / `releaseAdmission` to ask for the next step's admission while this step's
 *    tools run;
 *  - `beginGatedCall(env, context, modelId, estimate, source)` + `settle(...)` for any other call;
 *  - `beginSpeechCall(env, context, model, quantity)` + `settle(...)` for a speech call (source
 *    `voice`: seconds of audio recognised, characters spoken; priced by speech/catalog.ts), and
 *    `recordSpeechUsage` for audio a streaming recogniser has already heard.
 * `GateContext.missionId` / `missionBudgetUsd` make a call count against a mission's budget.
 * Whether a task or mission may start at all is asked before it is created (actors/launch.ts).
 */
import { newId } from "../ids.ts";
import { costUsd, parseModelId } from "./catalog.ts";
import { openSecret } from "./credentials.ts";
import { loopKey, deferSettle, takeDeferred } from "./deferred-settles.ts";
import { estimateUsage, stepInputChars } from "./estimate.ts";
import { ModelUnavailableError, resolveModel, type CallAuth, type CallContext } from "./registry.ts";
import type { ScriptStep } from "../shared/script.ts";
import { runModelStep, type ModelStepResult } from "./step.ts";
import { userAgentStub } from "./user-actor.ts";
import { speechCostUsd, speechUnit, type SpeechModel } from "./speech/catalog.ts";
import type { BudgetScope, CallStatus, SettleRequest, UsageEstimate, UsageSource } from "./usage.ts";

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
   * DEFERRED_SETTLE_MS (deferred-settles.ts). The next `beginCall` of the loop always counts it
   * first. Returns the cost in USD.
   */
  defer(outcome: CallOutcome): number;
}

/**
 * Admits one call of `modelId` for `context`: checks the payer mode and every budget in the
 * user's actor and reserves `estimate`; decrypts the user's key when the payer mode is own-key.
 * `source` is what the ledger records as the caller. Returns the admitted call.
 * @throws ModelUnavailableError when `modelId` names no provider.
 * @throws BudgetExceededError when a budget has nothing left (no reservation is made).
 * @throws PayerModeError when the payer mode cannot pay for this model.
 * @throws EncryptionUnavailableError when the stored key cannot be decrypted (the call is settled as failed).
 */
export async function beginGatedCall(env: Env, context: GateContext, modelId: string, estimate: UsageEstimate, source: UsageSource): Promise<GatedCall> {
  const provider = parseModelId(modelId)?.provider;
  if (!provider) throw new ModelUnavailableError(`model "${modelId}" is not in the catalog`);
  const user = await userAgentStub(env, context.userId);
  // A loop's earlier steps are recorded in this same round trip (or have been, in order).
  const key = loopKey(context);
  const deferred = await takeDeferred(env, context.userId, key);
  const admitted = await user
    .beginCall({
      settles: deferred.settles,
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
      deferred.giveBack();
      throw error;
    });
  deferred.done();
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
    deferSettle(env, context.userId, key, { reservationId: admitted.reservationId, entry: entryOf(outcome, cost) });
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
  return { auth: { payerMode: admitted.payerMode, apiKey }, startedAt, settle, costOf, defer, release };
}

/** What a speech call used: `quantity` of its model's unit (seconds of audio, characters), how it ended and how long it took (ms). */
export interface SpeechOutcome {
  quantity: number;
  status: CallStatus;
  latencyMs: number;
}

/** An admitted speech call: the model it is metered as, and how to record it when it ends. */
export interface GatedSpeechCall {
  model: SpeechModel;
  /** When the call was admitted (ISO 8601). */
  startedAt: string;
  /**
   * Records what the call used in the ledger (source `voice`, the unit and quantity, the cost
   * at the model's price) and releases its reservation. Returns the cost in USD. Never throws:
   * a failure to record is logged.
   */
  settle(outcome: SpeechOutcome): Promise<number>;
  /** Drops the reservation of a call that was never made; nothing is recorded. Never throws. */
  release(): Promise<void>;
}

/** The ledger entry of a speech call of `model` for `context` (source `voice`, no tokens). */
function speechEntry(context: CallContext, model: SpeechModel, startedAt: string, outcome: SpeechOutcome): SettleRequest {
  return {
    at: startedAt,
    projectId: context.projectId,
    missionId: null,
    taskId: null,
    model: model.id,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    costUsd: speechCostUsd(model, outcome.quantity),
    latencyMs: outcome.latencyMs,
    status: outcome.status,
    httpStatus: null,
    source: "voice",
    unit: speechUnit(model),
    quantity: outcome.quantity,
  };
}

/**
 * Admits one speech call of `model` for `context`, like a model call (§2.4): the user's actor
 * checks the payer mode (Workers AI is paid by the platform only) and every budget, and reserves
 * the cost of `quantity` units (seconds of audio to recognise, characters to speak). Returns the
 * admitted call.
 * @throws BudgetExceededError when a budget has nothing left (no reservation is made).
 * @throws PayerModeError when the payer mode cannot pay for the model's provider.
 */
export async function beginSpeechCall(env: Env, context: CallContext, model: SpeechModel, quantity: number): Promise<GatedSpeechCall> {
  const user = await userAgentStub(env, context.userId);
  const admitted = await user.beginCall({
    provider: model.provider,
    projectId: context.projectId,
    taskId: null,
    missionId: null,
    taskBudgetUsd: null,
    missionBudgetUsd: null,
    estimate: { inputTokens: 0, outputTokens: 0, costUsd: speechCostUsd(model, quantity) },
  });
  if (!admitted.ok) {
    if (admitted.code === "budget_exceeded") throw new BudgetExceededError(admitted.scope, admitted.message);
    throw new PayerModeError(admitted.code, admitted.message);
  }
  const startedAt = new Date().toISOString();
  let settled = false;
  return {
    model,
    startedAt,
    async settle(outcome) {
      if (settled) return 0;
      settled = true;
      const entry = speechEntry(context, model, startedAt, outcome);
      try {
        await user.settle(admitted.reservationId, entry);
      } catch (error) {
        console.error(`speech usage of ${model.id} for ${context.userId} could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
      }
      return entry.costUsd;
    },
    async release() {
      if (settled) return;
      settled = true;
      try {
        await user.release(admitted.reservationId);
      } catch (error) {
        console.error(`a speech reservation of ${context.userId} could not be released: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/**
 * Records speech usage that was not admitted first: audio a streaming recogniser (Workers AI's
 * Flux or Nova-3) has already heard when the call ends, which is owed whatever the budgets say.
 * Returns the cost in USD. Never throws: a failure to record is logged.
 */
export async function recordSpeechUsage(env: Env, context: CallContext, model: SpeechModel, outcome: SpeechOutcome): Promise<number> {
  const entry = speechEntry(context, model, new Date().toISOString(), outcome);
  try {
    await (await userAgentStub(env, context.userId)).settle(newId("usage"), entry);
  } catch (error) {
    console.error(`speech usage of ${model.id} for ${context.userId} could not be recorded: ${error instanceof Error ? error.message : String(error)}`);
  }
  return entry.costUsd;
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
  // Recorded with the loop's next call (or within DEFERRED_SETTLE_MS), which counts it before admitting.
  return { ...result, costUsd: call.defer(outcome) };
}
