/**
 * The device flow (RFC 8628) for the CLI, in the Workers runtime: a device asks for a code pair
 * and polls; a signed-in person approves or denies the user code; the device gets a personal
 * access token once. Time between polls is moved by rewriting the stored last poll.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEVICE_GRANT_TYPE } from "../../src/api/routes/device.ts";
import { addUser, api, apiJson } from "./helpers.ts";

type CodePair = { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number };

async function codePair(): Promise<CodePair> {
  return apiJson<CodePair>("/api/auth/device/code", { method: "POST", token: null, json: { client_id: "sam-cli" } });
}

/** Polls once as the device would, as JSON (or form-encoded with `form`). */
async function pollToken(deviceCode: string, form = false): Promise<{ status: number; body: Record<string, string> }> {
  const fields = { grant_type: DEVICE_GRANT_TYPE, device_code: deviceCode, client_id: "sam-cli" };
  const response = form
    ? await api("/api/auth/device/token", { method: "POST", token: null, headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() })
    : await api("/api/auth/device/token", { method: "POST", token: null, json: fields });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

/** Makes the last poll look `ms` old, as if the device had waited. */
async function waitedSinceLastPoll(userCode: string, ms = 60_000): Promise<void> {
  await env.DB.prepare(`UPDATE device_codes SET last_poll_at = ? WHERE user_code = ?`).bind(Date.now() - ms, userCode).run();
}

describe("the device flow", () => {
  it("hands out a code pair as RFC 8628 says", async () => {
    const pair = await codePair();
    expect(pair.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(pair.device_code.length).toBeGreaterThan(40);
    expect(pair.verification_uri).toBe("http://sam.test/device");
    expect(pair.verification_uri_complete).toBe(`http://sam.test/device?user_code=${pair.user_code}`);
    expect(pair).toMatchObject({ expires_in: 600, interval: 5 });
    const stored = await env.DB.prepare(`SELECT device_code_hash FROM device_codes WHERE user_code = ?`).bind(pair.user_code).first<{ device_code_hash: string }>();
    expect(stored?.device_code_hash).not.toBe(pair.device_code);
  });

  it("pending, slow_down, approval by a person, then a working token exactly once", async () => {
    const pair = await codePair();
    expect(await pollToken(pair.device_code)).toEqual({ status: 400, body: { error: "authorization_pending" } });
    expect(await pollToken(pair.device_code)).toEqual({ status: 400, body: { error: "slow_down" } });
    const shown = await apiJson<{ userCode: string; clientId: string; status: string }>(`/api/auth/device?user_code=${pair.user_code.toLowerCase().replace("-", "")}`);
    expect(shown).toMatchObject({ userCode: pair.user_code, clientId: "sam-cli", status: "pending" });
    await apiJson("/api/auth/device/approve", { method: "POST", json: { user_code: pair.user_code } });
    expect((await api("/api/auth/device/approve", { method: "POST", json: { user_code: pair.user_code } })).status).toBe(409);
    await waitedSinceLastPoll(pair.user_code);
    const granted = await pollToken(pair.device_code, true);
    expect(granted.status).toBe(200);
    expect(granted.body.token_type).toBe("Bearer");
    const me = await apiJson<{ user: { name: string } }>("/api/me", { token: granted.body.access_token });
    expect(me.user.name).toBe("local");
    const tokens = await apiJson<{ tokens: { name: string }[] }>("/api/tokens");
    expect(tokens.tokens.map((t) => t.name)).toContain(`sam-cli (device login ${pair.user_code})`);
    await waitedSinceLastPoll(pair.user_code);
    expect(await pollToken(pair.device_code)).toEqual({ status: 400, body: { error: "invalid_grant" } });
  });

  it("a denied code answers access_denied; an expired one expired_token", async () => {
    const denied = await codePair();
    await apiJson("/api/auth/device/deny", { method: "POST", json: { user_code: denied.user_code } });
    expect((await pollToken(denied.device_code)).body).toEqual({ error: "access_denied" });
    const old = await codePair();
    await env.DB.prepare(`UPDATE device_codes SET expires_at = ? WHERE user_code = ?`).bind(new Date(Date.now() - 1000).toISOString(), old.user_code).run();
    expect((await pollToken(old.device_code)).body).toEqual({ error: "expired_token" });
    expect((await api("/api/auth/device/approve", { method: "POST", json: { user_code: old.user_code } })).status).toBe(404);
  });

  it("refuses bad requests the OAuth way", async () => {
    const pair = await codePair();
    const wrongGrant = await api("/api/auth/device/token", { method: "POST", token: null, json: { grant_type: "password", device_code: pair.device_code, client_id: "sam-cli" } });
    expect(await wrongGrant.json()).toEqual({ error: "unsupported_grant_type" });
    const wrongClient = await api("/api/auth/device/token", { method: "POST", token: null, json: { grant_type: DEVICE_GRANT_TYPE, device_code: pair.device_code, client_id: "other" } });
    expect(((await wrongClient.json()) as { error: string }).error).toBe("invalid_client");
    const unknown = await pollToken("sam_dc_unknown");
    expect(unknown).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "unknown device code" } });
    const notJson = await api("/api/auth/device/code", { method: "POST", token: null, headers: { "content-type": "application/json" }, body: "{" });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe("invalid_request");
    expect((await api("/api/auth/device/approve", { method: "POST", token: null, json: { user_code: pair.user_code } })).status).toBe(401);
  });

  it("guessing user codes is rate-limited per person", async () => {
    const guesser = await addUser("guesser");
    const pair = await codePair();
    for (let i = 0; i < 20; i++) {
      expect((await api("/api/auth/device/approve", { method: "POST", token: guesser.token, json: { user_code: "BCDF-GHJK" } })).status).toBe(404);
    }
    const limited = await api("/api/auth/device/approve", { method: "POST", token: guesser.token, json: { user_code: pair.user_code } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).not.toBeNull();
    // Someone else is not affected, and the code is still pending.
    await apiJson("/api/auth/device/approve", { method: "POST", json: { user_code: pair.user_code } });
  });
});
