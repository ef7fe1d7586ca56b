/**
 * Credentials: validated on save (a rejected key is not stored), encrypted at rest (the stored
 * bytes do not contain the key), never returned, never logged, never in an error or transcript.
 * Console output of the whole file is captured and searched for every key used.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openSecret, sealSecret } from "../../src/models/credentials.ts";
import { captureConsole, chat, newUser, requestsWith, scriptKey, setScript, waitForUserTask } from "./gate-helpers.ts";

const GOOD_KEY = "sk-test-credential-good-key-7f3a";
const BAD_KEY = "sk-invalid-credential-key-9b1c";
const ANTHROPIC_BAD = "sk-ant-invalid-credential-key-4d2e";
/** A key that passed validation once and was revoked upstream since (stored directly). */
const REVOKED_KEY = "sk-invalid-revoked-after-save-5e6f";
const ALL_KEYS = [GOOD_KEY, BAD_KEY, ANTHROPIC_BAD, REVOKED_KEY];

type Credential = { id: string; provider: string; label: string; last4: string; createdAt: string; lastUsedAt: string | null };

let logs: ReturnType<typeof captureConsole>;
beforeAll(() => {
  logs = captureConsole();
});
afterAll(() => logs.stop());
// Each test also checks the console itself, so none relies on the last test running after it.
afterEach(() => expectNoKey(logs.text()));

function expectNoKey(text: string): void {
  for (const key of ALL_KEYS) expect(text).not.toContain(key);
}

describe("credentials", () => {
  it("adds a validated key, lists it with its last four characters only, and deletes it", async () => {
    const user = await newUser();
    const response = await user.call("/api/credentials", { method: "POST", json: { provider: "openai", key: GOOD_KEY, label: "work" } });
    const text = await response.text();
    expect(response.status, text).toBe(201);
    expectNoKey(text);
    const created = JSON.parse(text) as Credential;
    expect(created).toMatchObject({ provider: "openai", label: "work", last4: "7f3a", lastUsedAt: null });
    expect(created.id).toMatch(/^crd_/);
    // The validation call went upstream with the key, once.
    const checks = await requestsWith(GOOD_KEY);
    expect(checks.some((r) => r.path === "/gateway/openai/models" && r.headers.authorization === `Bearer ${GOOD_KEY}`)).toBe(true);

    const listText = await (await user.call("/api/credentials")).text();
    expectNoKey(listText);
    expect((JSON.parse(listText) as { credentials: Credential[] }).credentials).toEqual([created]);

    expect((await user.call(`/api/credentials/${created.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await user.json<{ credentials: Credential[] }>("/api/credentials")).toEqual({ credentials: [] });
    expect((await user.call(`/api/credentials/${created.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await user.call(`/api/credentials/not-an-id`, { method: "DELETE" })).status).toBe(400);
  });

  it("stores only ciphertext that opens to the key under ENCRYPTION_KEY and this user and credential alone", async () => {
    const user = await newUser();
    const created = await user.json<Credential>("/api/credentials", { method: "POST", json: { provider: "openai", key: GOOD_KEY } }, 201);
    const stub = env.UserAgent.get(env.UserAgent.idFromName(user.id));
    const rows = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ id: string; iv: string; ciphertext: string }>(`SELECT * FROM credentials`).toArray());
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows);
    expectNoKey(stored);
    expect(stored).not.toContain(btoa(GOOD_KEY));
    // It is the key, encrypted: it opens with the right key and binding, and not with others.
    expect(await openSecret(env.ENCRYPTION_KEY, user.id, created.id, rows[0])).toBe(GOOD_KEY);
    await expect(openSecret(env.ENCRYPTION_KEY, "usr_someone_else", created.id, rows[0])).rejects.toThrow(/could not be decrypted/);
    await expect(openSecret(btoa("x".repeat(32)), user.id, created.id, rows[0])).rejects.toThrow(/could not be decrypted/);
  });

  it("rejects a key the provider refuses, without storing it or echoing it", async () => {
    const user = await newUser();
    for (const [provider, key] of [["openai", BAD_KEY], ["anthropic", ANTHROPIC_BAD]]) {
      const response = await user.call("/api/credentials", { method: "POST", json: { provider, key } });
      const text = await response.text();
      expect(response.status, text).toBe(400);
      expect(JSON.parse(text).error.code).toBe("credential_invalid");
      expectNoKey(text);
    }
    expect(await user.json<{ credentials: Credential[] }>("/api/credentials")).toEqual({ credentials: [] });
  });

  it("answers bad input with 400 and names no key", async () => {
    const user = await newUser();
    for (const json of [{ key: GOOD_KEY }, { provider: "mistral", key: GOOD_KEY }, { provider: "openai", key: "short" }, { provider: "openai", key: `${GOOD_KEY} x` }, { provider: "openai", key: GOOD_KEY, extra: 1 }]) {
      const response = await user.call("/api/credentials", { method: "POST", json });
      const text = await response.text();
      expect(response.status, text).toBe(400);
      expect(JSON.parse(text).error.code).toBe("invalid_input");
      expectNoKey(text);
    }
    expect((await user.call("/api/credentials", { method: "POST", body: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
  });

  it("keeps a key out of proxy errors and task errors when the provider echoes it", async () => {
    const user = await newUser();
    const id = "crd_01JZZZZZZZZZZZZZZZZZZZZZZZ";
    const sealed = await sealSecret(env.ENCRYPTION_KEY, user.id, id, REVOKED_KEY);
    const stub = env.UserAgent.get(env.UserAgent.idFromName(user.id));
    await runInDurableObject(stub, async (instance) => {
      await (instance as unknown as { addCredential(c: unknown): Promise<unknown> }).addCredential({ id, provider: "openai", label: "revoked", last4: "5e6f", createdAt: new Date().toISOString(), lastUsedAt: null, ...sealed });
    });
    await user.json("/api/me/settings", { method: "PUT", json: { payerMode: "own-key" } });

    const { key, marker } = scriptKey("revoked");
    await setScript(key, [{ text: "unused" }]);
    const proxied = await user.call("/ai/v1/chat/completions", { method: "POST", json: chat("openai/gpt-4.1-mini", `hi ${marker}`) });
    const text = await proxied.text();
    expect(proxied.status).toBe(401);
    expect(JSON.parse(text).error.code).toBe("invalid_api_key");
    expect(JSON.parse(text).error.message).toContain("[redacted]");
    expectNoKey(text);
    // The upstream did get the key (and echoed it): the redaction is SAM's.
    expect((await requestsWith(marker))[0].headers.authorization).toBe(`Bearer ${REVOKED_KEY}`);

    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "revoked" } }, 201);
    const created = await user.json<{ id: string }>(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: `go ${marker}`, model: "openai/gpt-4.1-mini" } }, 201);
    const task = await waitForUserTask(user, created.id);
    expect(task.status).toBe("failed");
    expect(task.error).toContain("Incorrect API key provided");
    expectNoKey(JSON.stringify(task));
    expectNoKey(await (await user.call(`/api/tasks/${created.id}/transcript`)).text());
    expectNoKey(await (await user.call(`/api/projects/${project.id}/tasks`)).text());
  });

  it("never wrote a key to the console (checked over everything this file did)", async () => {
    // The capture sees actors' output too: prove it with a line logged inside a UserAgent.
    const user = await newUser();
    await runInDurableObject(env.UserAgent.get(env.UserAgent.idFromName(user.id)), () => console.log("capture-check-from-actor"));
    expect(logs.text()).toContain("capture-check-from-actor");
    expectNoKey(logs.text());
  });
});
