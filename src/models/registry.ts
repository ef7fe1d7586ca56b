/**
 * Resolves a model id to an AI SDK language model (DESIGN.md §3, §2.4):
 * `scripted`, `compat/<name>` (OpenAI-compatible server), `workers-ai/<@cf/...>` (AI binding
 * through AI Gateway) and `openai/<model>` (AI Gateway with unified billing).
 */
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { createWorkersAI } from "workers-ai-provider";
import type { Env } from "../env.ts";
import { parseModelId } from "./catalog.ts";
import { createScriptedModel, type ScriptStep } from "./scripted.ts";

/** Who and what a call is for; sent to AI Gateway as `cf-aig-metadata` so spend can be traced. */
export interface CallContext {
  userId: string;
  projectId: string;
  taskId?: string;
}

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
 * @throws ModelUnavailableError when the id is unknown or its provider is not configured.
 */
export function resolveModel(
  modelId: string,
  env: Env,
  context: CallContext,
  script?: readonly ScriptStep[],
): LanguageModelV4 {
  const parsed = parseModelId(modelId);
  if (!parsed) throw new ModelUnavailableError(`unknown model "${modelId}"`);
  const metadata = JSON.stringify({ userId: context.userId, projectId: context.projectId, taskId: context.taskId ?? null });
  switch (parsed.provider) {
    case "scripted":
      if (!script) throw new ModelUnavailableError('the "scripted" model needs a script');
      return createScriptedModel(script);
    case "compat": {
      if (!env.SAM_COMPAT_BASE_URL) {
        throw new ModelUnavailableError(`"${modelId}" needs SAM_COMPAT_BASE_URL (an OpenAI-compatible server)`);
      }
      return createOpenAI({ baseURL: env.SAM_COMPAT_BASE_URL, apiKey: env.SAM_COMPAT_API_KEY ?? "sam" }).chat(parsed.name);
    }
    case "openai": {
      if (!env.AI_GATEWAY_TOKEN) throw new ModelUnavailableError(`"${modelId}" needs AI_GATEWAY_TOKEN (AI Gateway unified billing)`);
      return createOpenAI({
        baseURL: `${gatewayBaseUrl(env)}/openai`,
        apiKey: "unified-billing",
        headers: { "cf-aig-authorization": `Bearer ${env.AI_GATEWAY_TOKEN}`, "cf-aig-metadata": metadata },
        fetch: withoutProviderKey(fetch),
      }).chat(parsed.name);
    }
    case "workers-ai": {
      if (!env.AI) throw new ModelUnavailableError(`"${modelId}" needs the Workers AI binding (deployed mode)`);
      const workersAi = createWorkersAI({
        binding: env.AI,
        gateway: { id: env.AI_GATEWAY_ID ?? "sam", metadata: JSON.parse(metadata) as Record<string, string | null> },
      });
      return workersAi(parsed.name as Parameters<typeof workersAi>[0]);
    }
  }
}
