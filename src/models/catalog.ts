/**
 * The model catalog: one table of the models SAM knows, with their provider, context window,
 * prices and whether the platform offers them. Prices are USD per million tokens, from each
 * provider's public price list (November 2026). `compat/<name>` models are whatever the
 * configured OpenAI-compatible server lists at its `/models`, priced from `SAM_COMPAT_PRICES`
 * (default 0); `scripted` costs nothing.
 */
import { z } from "zod";

/** Where a model's calls go (docs/architecture.md §3). */
export type ModelProvider = "scripted" | "compat" | "workers-ai" | "openai" | "anthropic";

/** Providers a user can hold a credential (API key) for; the others never take a user's key. */
export const CREDENTIAL_PROVIDERS = ["openai", "anthropic"] as const;
/** `openai` or `anthropic`: a provider a user may hold a key for. */
export type CredentialProvider = (typeof CREDENTIAL_PROVIDERS)[number];

/** One catalog entry. Prices in USD per 1,000,000 tokens. */
export interface CatalogModel {
  id: string;
  label: string;
  provider: ModelProvider;
  /** Context window in tokens. */
  contextWindow: number;
  inputPerMTokUsd: number;
  outputPerMTokUsd: number;
  /** Price of cached input tokens (prompt-cache reads), where the provider has one. */
  cachedInputPerMTokUsd?: number;
  /** Whether platform credit (AI Gateway unified billing, Workers AI) may pay for it. */
  platformOffered: boolean;
  /** Shown in pickers; e.g. that `scripted` is a deterministic test model. */
  note?: string;
}

/** The models offered by name. `compat/<name>` models come from the compat server's `/models`. */
export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: "scripted",
    label: "Scripted (deterministic test model)",
    provider: "scripted",
    contextWindow: 1_000_000,
    inputPerMTokUsd: 0,
    outputPerMTokUsd: 0,
    platformOffered: true,
    note: "Replays the task's script step by step; for tests, demos and offline runs.",
  },
  {
    id: "workers-ai/@cf/qwen/qwen2.5-coder-32b-instruct",
    label: "Qwen 2.5 Coder 32B (Workers AI)",
    provider: "workers-ai",
    contextWindow: 32_768,
    inputPerMTokUsd: 0.66,
    outputPerMTokUsd: 1.0,
    platformOffered: true,
  },
  {
    id: "workers-ai/@cf/meta/llama-4-scout-17b-16e-instruct",
    label: "Llama 4 Scout (Workers AI)",
    provider: "workers-ai",
    contextWindow: 131_000,
    inputPerMTokUsd: 0.27,
    outputPerMTokUsd: 0.85,
    platformOffered: true,
  },
  {
    id: "openai/gpt-4.1-mini",
    label: "GPT-4.1 mini (AI Gateway)",
    provider: "openai",
    contextWindow: 1_047_576,
    inputPerMTokUsd: 0.4,
    outputPerMTokUsd: 1.6,
    cachedInputPerMTokUsd: 0.1,
    platformOffered: true,
  },
  {
    id: "openai/gpt-4.1",
    label: "GPT-4.1 (AI Gateway)",
    provider: "openai",
    contextWindow: 1_047_576,
    inputPerMTokUsd: 2.0,
    outputPerMTokUsd: 8.0,
    cachedInputPerMTokUsd: 0.5,
    platformOffered: true,
  },
  {
    id: "anthropic/claude-haiku-4-5",
    label: "Claude Haiku 4.5 (AI Gateway)",
    provider: "anthropic",
    contextWindow: 200_000,
    inputPerMTokUsd: 1.0,
    outputPerMTokUsd: 5.0,
    cachedInputPerMTokUsd: 0.1,
    platformOffered: true,
  },
  {
    id: "anthropic/claude-sonnet-4-5",
    label: "Claude Sonnet 4.5 (AI Gateway)",
    provider: "anthropic",
    contextWindow: 200_000,
    inputPerMTokUsd: 3.0,
    outputPerMTokUsd: 15.0,
    cachedInputPerMTokUsd: 0.3,
    platformOffered: true,
  },
];

/** Splits a model id into provider and provider-side name; null when the id is not routable. */
export function parseModelId(id: string): { provider: ModelProvider; name: string } | null {
  if (id === "scripted") return { provider: "scripted", name: "scripted" };
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) return null;
  const prefix = id.slice(0, slash);
  const name = id.slice(slash + 1);
  if (prefix === "compat" || prefix === "workers-ai" || prefix === "openai" || prefix === "anthropic") return { provider: prefix, name };
  return null;
}

/** Catalog entry of `id`, or null for ids outside the table (e.g. any `compat/<name>`). */
export function findCatalogModel(id: string): CatalogModel | null {
  return MODEL_CATALOG.find((m) => m.id === id) ?? null;
}

/** A price as configured for a compat model: USD per million input, output and cached input tokens. */
export const compatPriceSchema = z.object({
  input: z.number().nonnegative().default(0),
  output: z.number().nonnegative().default(0),
  cachedInput: z.number().nonnegative().optional(),
});

/**
 * Prices of `compat/<name>` models from the `SAM_COMPAT_PRICES` variable, a JSON object
 * `{"<name>": {"input": USD/MTok, "output": USD/MTok, "cachedInput"?: USD/MTok}}`. An absent or
 * unreadable variable means every compat model costs 0 (logged once per value when unreadable).
 */
export function compatPrices(raw: string | undefined): Record<string, z.output<typeof compatPriceSchema>> {
  if (!raw) return {};
  const cached = compatPriceCache.get(raw);
  if (cached) return cached;
  let parsed: Record<string, z.output<typeof compatPriceSchema>> = {};
  try {
    parsed = z.record(z.string(), compatPriceSchema).parse(JSON.parse(raw));
  } catch (error) {
    console.error(`SAM_COMPAT_PRICES is not valid ({"<name>": {"input", "output"}}); compat models cost 0: ${String(error)}`);
  }
  compatPriceCache.set(raw, parsed);
  return parsed;
}
const compatPriceCache = new Map<string, Record<string, z.output<typeof compatPriceSchema>>>();

/** Prices of one model in USD per million tokens (0 where unknown). */
export interface ModelPrice {
  inputPerMTokUsd: number;
  outputPerMTokUsd: number;
  cachedInputPerMTokUsd: number;
}

/**
 * The price of `modelId`: the catalog's, or for `compat/<name>` the configured one
 * (`compatPricesJson` is `SAM_COMPAT_PRICES`). Cached input defaults to the input price.
 */
export function priceOf(modelId: string, compatPricesJson?: string): ModelPrice {
  const model = findCatalogModel(modelId);
  if (model) {
    return {
      inputPerMTokUsd: model.inputPerMTokUsd,
      outputPerMTokUsd: model.outputPerMTokUsd,
      cachedInputPerMTokUsd: model.cachedInputPerMTokUsd ?? model.inputPerMTokUsd,
    };
  }
  const parsed = parseModelId(modelId);
  if (parsed?.provider === "compat") {
    const price = compatPrices(compatPricesJson)[parsed.name];
    if (price) return { inputPerMTokUsd: price.input, outputPerMTokUsd: price.output, cachedInputPerMTokUsd: price.cachedInput ?? price.input };
  }
  return { inputPerMTokUsd: 0, outputPerMTokUsd: 0, cachedInputPerMTokUsd: 0 };
}

/**
 * Cost in USD of a call: uncached input × input price + cached input × cached price + output ×
 * output price, per million tokens. `cachedInputTokens` is the part of `inputTokens` read from
 * the provider's prompt cache (OpenAI's `prompt_tokens_details.cached_tokens`); 0 when unknown.
 */
export function costUsd(modelId: string, inputTokens: number, outputTokens: number, cachedInputTokens = 0, compatPricesJson?: string): number {
  const price = priceOf(modelId, compatPricesJson);
  const cached = Math.min(Math.max(cachedInputTokens, 0), inputTokens);
  return ((inputTokens - cached) * price.inputPerMTokUsd + cached * price.cachedInputPerMTokUsd + outputTokens * price.outputPerMTokUsd) / 1_000_000;
}
