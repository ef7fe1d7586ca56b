/**
 * The model catalog: one table of the models SAM knows, with their provider and price.
 * Prices are USD per million tokens, from each provider's public price list (November 2026);
 * `compat/*` and `scripted` cost nothing unless configured.
 */

/** Where a model's calls go (DESIGN.md §3). */
export type ModelProvider = "scripted" | "compat" | "workers-ai" | "openai";

/** One catalog entry. Prices in USD per 1,000,000 tokens. */
export interface CatalogModel {
  id: string;
  label: string;
  provider: ModelProvider;
  /** Context window in tokens. */
  contextWindow: number;
  inputPerMTokUsd: number;
  outputPerMTokUsd: number;
  /** Shown in pickers; e.g. that `scripted` is a deterministic test model. */
  note?: string;
}

/** The models offered by name. `compat/<name>` accepts any name the compat server serves. */
export const MODEL_CATALOG: readonly CatalogModel[] = [
  {
    id: "scripted",
    label: "Scripted (deterministic test model)",
    provider: "scripted",
    contextWindow: 1_000_000,
    inputPerMTokUsd: 0,
    outputPerMTokUsd: 0,
    note: "Replays the task's script step by step; for tests, demos and offline runs.",
  },
  {
    id: "workers-ai/@cf/qwen/qwen2.5-coder-32b-instruct",
    label: "Qwen 2.5 Coder 32B (Workers AI)",
    provider: "workers-ai",
    contextWindow: 32_768,
    inputPerMTokUsd: 0.66,
    outputPerMTokUsd: 1.0,
  },
  {
    id: "workers-ai/@cf/meta/llama-4-scout-17b-16e-instruct",
    label: "Llama 4 Scout (Workers AI)",
    provider: "workers-ai",
    contextWindow: 131_000,
    inputPerMTokUsd: 0.27,
    outputPerMTokUsd: 0.85,
  },
  {
    id: "openai/gpt-4.1-mini",
    label: "GPT-4.1 mini (AI Gateway)",
    provider: "openai",
    contextWindow: 1_047_576,
    inputPerMTokUsd: 0.4,
    outputPerMTokUsd: 1.6,
  },
  {
    id: "openai/gpt-4.1",
    label: "GPT-4.1 (AI Gateway)",
    provider: "openai",
    contextWindow: 1_047_576,
    inputPerMTokUsd: 2.0,
    outputPerMTokUsd: 8.0,
  },
];

/** Splits a model id into provider and provider-side name; null when the id is not routable. */
export function parseModelId(id: string): { provider: ModelProvider; name: string } | null {
  if (id === "scripted") return { provider: "scripted", name: "scripted" };
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) return null;
  const prefix = id.slice(0, slash);
  const name = id.slice(slash + 1);
  if (prefix === "compat" || prefix === "workers-ai" || prefix === "openai") return { provider: prefix, name };
  return null;
}

/** Catalog entry of `id`, or null for ids outside the table (e.g. any `compat/<name>`). */
export function findCatalogModel(id: string): CatalogModel | null {
  return MODEL_CATALOG.find((m) => m.id === id) ?? null;
}

/** Cost in USD of a call: tokens × the model's price per million (0 for unpriced models). */
export function costUsd(modelId: string, inputTokens: number, outputTokens: number): number {
  const model = findCatalogModel(modelId);
  if (!model) return 0;
  return (inputTokens * model.inputPerMTokUsd + outputTokens * model.outputPerMTokUsd) / 1_000_000;
}
