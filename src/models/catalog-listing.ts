/**
 * The catalog as this deployment offers it (`GET /api/models`, the proxy's `GET /ai/v1/models`):
 * the static table of catalog.ts plus the models the OpenAI-compatible server lists, each marked
 * available when its provider is configured here; and the check that a model id is in it.
 */
import { findCatalogModel, MODEL_CATALOG, parseModelId, priceOf, type CatalogModel, type ModelProvider } from "./catalog.ts";
import { ModelUnavailableError } from "./registry.ts";

/** How long the compat server's model list is reused before it is fetched again, ms. */
const COMPAT_MODELS_TTL_MS = 60_000;

let compatCache: { baseUrl: string; at: number; names: Promise<string[]> } | null = null;

/**
 * The model names the compat server (`SAM_COMPAT_BASE_URL`) lists at `GET /models`, cached for
 * COMPAT_MODELS_TTL_MS. Empty when no server is configured; a failed fetch is logged, not
 * cached, and gives [].
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
 * provider is configured here (for gateway models: AI Gateway and a gateway token).
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
