/** What each payer mode means, in words shown next to the choice (one place for both settings screens). */
import type { PayerMode } from "./api.ts";

/** A short name and a sentence explaining who pays in each mode. */
export const PAYER_MODE_TEXT: Record<PayerMode, { title: string; description: string }> = {
  platform: {
    title: "Platform credit",
    description:
      "SAM pays for OpenAI, Anthropic and Workers AI calls from its platform credit (through Cloudflare AI Gateway); your stored keys are not used. Your budgets still apply.",
  },
  "own-key": {
    title: "My own keys",
    description:
      "Each OpenAI or Anthropic call uses the key you stored for that provider, billed by the provider to you. A call to a provider you have no key for fails with an error saying which key to add — it never falls back to platform credit. Workers AI models are platform-only and are refused in this mode.",
  },
};

/** Provider names as shown to people. */
export const PROVIDER_NAMES: Record<"openai" | "anthropic", string> = { openai: "OpenAI", anthropic: "Anthropic" };
