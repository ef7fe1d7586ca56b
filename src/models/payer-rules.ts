/**
 * Who pays for a call (docs/architecture.md §2.4), as a pure rule: whether a payer mode can pay for a
 * provider's model, and whether it needs one of the user's keys to do it.
 */
import type { CredentialProvider, ModelProvider } from "./catalog.ts";
import type { PayerMode } from "./usage.ts";

/** Why the payer mode cannot pay: own-key without a key for the provider, or Workers AI in own-key mode. */
export type PayerRefusal = { ok: false; code: "credential_missing" | "payer_mode_conflict"; message: string };

/** The payer mode can pay; `credentialProvider` names the provider whose key the call uses (null: none). */
export type PayerApproval = { ok: true; payerMode: PayerMode; credentialProvider: CredentialProvider | null };

/**
 * Whether `payerMode` can pay for a call to `provider`. In `own-key` mode, gateway providers
 * (openai, anthropic) need the user's key for that provider (`hasCredential`; never a silent
 * fall-back to platform credit), and Workers AI (platform only) is refused. `scripted` and
 * `compat` are paid by neither, so any mode passes.
 */
export function payerCheck(payerMode: PayerMode, provider: ModelProvider, hasCredential: (provider: CredentialProvider) => boolean): PayerApproval | PayerRefusal {
  if (payerMode === "platform" || provider === "scripted" || provider === "compat") return { ok: true, payerMode, credentialProvider: null };
  if (provider === "workers-ai") {
    return {
      ok: false,
      code: "payer_mode_conflict",
      message: "Workers AI models are paid by the platform only, and your payer mode is own-key: set payerMode to platform (PUT /api/me/settings or the project's settings) to use them",
    };
  }
  if (!hasCredential(provider)) {
    return {
      ok: false,
      code: "credential_missing",
      message: `your payer mode is own-key but you have no ${provider} credential: add one with POST /api/credentials {"provider":"${provider}","key":"..."} or set payerMode to platform`,
    };
  }
  return { ok: true, payerMode, credentialProvider: provider };
}
