/**
 * Resolves a model id to where its calls go (docs/architecture.md §3, §2.4):
 * `scripted`, `compat/<name>` (OpenAI-compatible server), `workers-ai/<@cf/...>` (the AI binding
 * through AI Gateway for tasks; the gateway's OpenAI-compatible endpoint for the proxy),
 * `openai/<model>` and `anthropic/<model>` (AI Gateway, paid by platform credit through unified
 * billing or by the user's own key, as the payer mode says).
 *
 * `upstreamFor` gives the raw HTTP target (URL and headers) the proxy forwards to;
 * `resolveModel` gives the AI SDK model the task loop calls. Both build the same requests.
 */
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { createWorkersAI } from "workers-ai-provider";
import { parseModelId } from "./catalog.ts";
import { createScriptedModel } from "./scripted.ts";
import type { ScriptStep } from "../shared/script.ts";
import type { PayerMode } from "./usage.ts";

/** Who and what a call is for; sent to AI Gateway as `cf-aig-metadata` so spend can be traced. */
export interface CallContext {
  userId: string;
  projectId: string | null;
  taskId?: string | null;
  missionId?: string | null;
}

/** Who pays for a call: the payer mode and, in `own-key` mode, the user's decrypted key (memory only). */
export interface CallAuth {
  payerMode: PayerMode;
  apiKey: string | null;
}

/** Platform credit, no user key: the default for callers that have not been through the gate. */
export const PLATFORM_AUTH: CallAuth = { payerMode: "platform", apiKey: null };

/** A model id that cannot be used here, with the reason. */
export class ModelUnavailableError extends Error {
  readonly code = "model_unavailable";
  constructor(message: string) {
    super(message);
    this.name = "ModelUnavailableError";
  }
}

/** AI Gateway base URL: `AI_GATEWAY_BASE_URL`, else built from account and gateway ids. */
export function gatewayBaseUrl(env: Env): string {
  if (env.AI_GATEWAY_BASE_URL) return env.AI_GATEWAY_BASE_URL.replace(/\/$/, "");
  if (!env.CF_ACCOUNT_ID || !env.AI_GATEWAY_ID) {
    throw new ModelUnavailableError("AI Gateway is not configured: set CF_ACCOUNT_ID and AI_GATEWAY_ID");
  }
  return `https://gateway.ai.cloudflare.com/v1/${env.CF_ACCOUNT_ID}/${env.AI_GATEWAY_ID}`;
}

/** `cf-aig-metadata`: the ids present (AI Gateway takes at most five string entries). */
export function gatewayMetadata(context: CallContext): Record<string, string> {
  const metadata: Record<string, string> = { userId: context.userId };
  if (context.projectId) metadata.projectId = context.projectId;
  if (context.taskId) metadata.taskId = context.taskId;
  if (context.missionId) metadata.missionId = context.missionId;
  return metadata;
}

/** An OpenAI Chat Completions endpoint and the headers that authorize a call to it. */
export interface UpstreamTarget {
  /** Base URL; the chat endpoint is `${baseUrl}/chat/completions`. */
  baseUrl: string;
  /** Headers to send (authorization, gateway headers); names lower case. */
  headers: Record<string, string>;
  /** The model name the upstream expects in the body. */
  model: string;
  /** Whether the provider's `authorization` header must be left out (unified billing). */
  noProviderKey: boolean;
}

/**
 * The OpenAI-compatible upstream of `modelId` for the given payer. Platform credit sends
 * `cf-aig-authorization: Bearer <AI_GATEWAY_TOKEN>` and no provider key; own-key sends the
 * user's key as `authorization` (and the gateway token, when set, only to pass an
 * authenticated gateway). Every gateway request carries `cf-aig-metadata`.
 * @throws ModelUnavailableError for `scripted`, unknown ids and unconfigured providers.
 */
export function upstreamFor(modelId: string, env: Env, context: CallContext, auth: CallAuth): UpstreamTarget {
  const parsed = parseModelId(modelId);
  if (!parsed) throw new ModelUnavailableError(`unknown model "${modelId}"`);
  switch (parsed.provider) {
    case "scripted":
      throw new ModelUnavailableError('the "scripted" model replays a task\'s script and is not served over HTTP');
    case "compat": {
      if (!env.SAM_COMPAT_BASE_URL) throw new ModelUnavailableError(`"${modelId}" needs SAM_COMPAT_BASE_URL (an OpenAI-compatible server)`);
      const headers: Record<string, string> = {};
      if (env.SAM_COMPAT_API_KEY) headers.authorization = `Bearer ${env.SAM_COMPAT_API_KEY}`;
      return { baseUrl: env.SAM_COMPAT_BASE_URL.replace(/\/$/, ""), headers, model: parsed.name, noProviderKey: false };
    }
    case "openai":
    case "anthropic":
    case "workers-ai": {
      const headers: Record<string, string> = { "cf-aig-metadata": JSON.stringify(gatewayMetadata(context)) };
      if (auth.payerMode === "own-key" && parsed.provider !== "workers-ai") {
        if (!auth.apiKey) throw new ModelUnavailableError(`"${modelId}": payer mode is own-key but no ${parsed.provider} key was given`);
        headers.authorization = `Bearer ${auth.apiKey}`;
        if (env.AI_GATEWAY_TOKEN) headers["cf-aig-authorization"] = `Bearer ${env.AI_GATEWAY_TOKEN}`;
      } else {
        if (!env.AI_GATEWAY_TOKEN) throw new ModelUnavailableError(`"${modelId}" needs AI_GATEWAY_TOKEN (AI Gateway unified billing)`);
        headers["cf-aig-authorization"] = `Bearer ${env.AI_GATEWAY_TOKEN}`;
      }
      const gateway = gatewayBaseUrl(env);
      // OpenAI has its own provider endpoint; the others go through the gateway's OpenAI-compatible
      // endpoint, which takes `<provider>/<model>` names.
      if (parsed.provider === "openai") return { baseUrl: `${gateway}/openai`, headers, model: parsed.name, noProviderKey: !headers.authorization };
      return { baseUrl: `${gateway}/compat`, headers, model: `${parsed.provider}/${parsed.name}`, noProviderKey: !headers.authorization };
    }
  }
}

/** Drops the provider `authorization` header: with unified billing the gateway token pays. */
function withoutProviderKey(fetchImpl: typeof fetch): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.delete("authorization");
    return fetchImpl(input, { ...init, headers });
  };
}

/**
 * Returns the AI SDK model for `modelId`.
 * @param script the steps for `scripted` (required for it).
 * @param auth who pays (default platform credit); the gate passes the user's payer mode and key.
 * @throws ModelUnavailableError when the id is unknown or its provider is not configured.
 */
export function resolveModel(
  modelId: string,
  env: Env,
  context: CallContext,
  script?: readonly ScriptStep[],
  auth: CallAuth = PLATFORM_AUTH,
): LanguageModelV4 {
  const parsed = parseModelId(modelId);
  if (!parsed) throw new ModelUnavailableError(`unknown model "${modelId}"`);
  switch (parsed.provider) {
    case "scripted":
      if (!script) throw new ModelUnavailableError('the "scripted" model needs a script');
      return createScriptedModel(script);
    case "workers-ai": {
      if (!env.AI) throw new ModelUnavailableError(`"${modelId}" needs the Workers AI binding (deployed mode)`);
      const workersAi = createWorkersAI({ binding: env.AI, gateway: { id: env.AI_GATEWAY_ID ?? "sam", metadata: gatewayMetadata(context) } });
      return workersAi(parsed.name as Parameters<typeof workersAi>[0]);
    }
    case "compat":
    case "openai":
    case "anthropic": {
      const target = upstreamFor(modelId, env, context, auth);
      const { authorization, ...headers } = target.headers;
      const apiKey = authorization?.replace(/^Bearer /, "") ?? (parsed.provider === "compat" ? "sam" : "unified-billing");
      return createOpenAI({
        baseURL: target.baseUrl,
        apiKey,
        headers,
        ...(target.noProviderKey ? { fetch: withoutProviderKey(fetch) } : {}),
      }).chat(target.model);
    }
  }
}
