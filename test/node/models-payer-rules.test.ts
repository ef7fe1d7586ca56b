/** Who pays for a call (src/models/payer-rules.ts). */
import { describe, expect, it } from "vitest";
import { payerCheck } from "../../src/models/payer-rules.ts";

const none = () => false;
const all = () => true;

describe("payerCheck", () => {
  it("lets platform credit pay for every provider, with no key", () => {
    for (const provider of ["scripted", "compat", "workers-ai", "openai", "anthropic"] as const) {
      expect(payerCheck("platform", provider, none)).toEqual({ ok: true, payerMode: "platform", credentialProvider: null });
    }
  });

  it("needs no key for scripted and compat models in own-key mode", () => {
    expect(payerCheck("own-key", "scripted", none)).toEqual({ ok: true, payerMode: "own-key", credentialProvider: null });
    expect(payerCheck("own-key", "compat", none)).toEqual({ ok: true, payerMode: "own-key", credentialProvider: null });
  });

  it("refuses Workers AI in own-key mode, key or not", () => {
    expect(payerCheck("own-key", "workers-ai", all)).toMatchObject({ ok: false, code: "payer_mode_conflict" });
  });

  it("uses the user's key for a gateway provider in own-key mode, and refuses without one", () => {
    expect(payerCheck("own-key", "anthropic", (p) => p === "anthropic")).toEqual({ ok: true, payerMode: "own-key", credentialProvider: "anthropic" });
    const refusal = payerCheck("own-key", "openai", (p) => p === "anthropic");
    expect(refusal).toMatchObject({ ok: false, code: "credential_missing" });
    expect(refusal.ok ? "" : refusal.message).toContain('POST /api/credentials {"provider":"openai"');
  });
});
