/**
 * Routing through the gate: the exact URL and headers that reach the (fake) AI Gateway for each
 * provider and payer mode, for proxy calls and task calls alike; own-key without a key fails
 * clearly and sends nothing upstream.
 */
import { describe, expect, it } from "vitest";
import { chat, newUser, requestsWith, scriptKey, setScript, type TestUser, waitForUserTask } from "./gate-helpers.ts";

const OPENAI_KEY = "sk-test-openai-routing-key-0001";
const ANTHROPIC_KEY = "sk-ant-test-routing-key-0002";

async function ownKeyUser(): Promise<TestUser> {
  const user = await newUser();
  await user.json("/api/credentials", { method: "POST", json: { provider: "openai", key: OPENAI_KEY } }, 201);
  await user.json("/api/credentials", { method: "POST", json: { provider: "anthropic", key: ANTHROPIC_KEY } }, 201);
  await user.json("/api/me/settings", { method: "PUT", json: { payerMode: "own-key" } });
  return user;
}

/** Sends one proxy call and returns the single upstream request it caused. */
async function proxied(user: TestUser, model: string, headers: Record<string, string> = {}) {
  const { key, marker } = scriptKey("route");
  await setScript(key, [{ text: "routed" }]);
  const response = await user.call("/ai/v1/chat/completions", { method: "POST", json: chat(model, `hello ${marker}`), headers });
  const body = await response.text();
  expect(response.status, body).toBe(200);
  expect(JSON.parse(body).choices[0].message.content).toBe("routed");
  const sent = await requestsWith(marker);
  expect(sent).toHaveLength(1);
  return sent[0];
}

describe("routing by provider and payer mode", () => {
  it("platform credit: openai/... goes to the gateway's OpenAI endpoint with the gateway token and no provider key", async () => {
    const user = await newUser();
    const sent = await proxied(user, "openai/gpt-4.1-mini");
    expect(sent.path).toBe("/gateway/openai/chat/completions");
    expect(sent.headers["cf-aig-authorization"]).toBe("Bearer test-gateway-token");
    expect(sent.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent.headers["cf-aig-metadata"])).toEqual({ userId: user.id });
    expect((sent.body as { model: string }).model).toBe("gpt-4.1-mini");
  });

  it("own key: openai/... carries the user's key as authorization (the gateway token only authenticates the gateway)", async () => {
    const user = await ownKeyUser();
    const sent = await proxied(user, "openai/gpt-4.1");
    expect(sent.path).toBe("/gateway/openai/chat/completions");
    expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(sent.headers["cf-aig-authorization"]).toBe("Bearer test-gateway-token");
    expect((sent.body as { model: string }).model).toBe("gpt-4.1");
    expect(JSON.stringify(sent.headers)).not.toContain(user.token);
  });

  it("platform credit: anthropic/... goes to the gateway's OpenAI-compatible endpoint as anthropic/<model>", async () => {
    const user = await newUser();
    const sent = await proxied(user, "anthropic/claude-haiku-4-5");
    expect(sent.path).toBe("/gateway/compat/chat/completions");
    expect(sent.headers["cf-aig-authorization"]).toBe("Bearer test-gateway-token");
    expect(sent.headers.authorization).toBeUndefined();
    expect((sent.body as { model: string }).model).toBe("anthropic/claude-haiku-4-5");
  });

  it("own key: anthropic/... carries the user's Anthropic key", async () => {
    const user = await ownKeyUser();
    const sent = await proxied(user, "anthropic/claude-sonnet-4-5");
    expect(sent.path).toBe("/gateway/compat/chat/completions");
    expect(sent.headers.authorization).toBe(`Bearer ${ANTHROPIC_KEY}`);
    expect((sent.body as { model: string }).model).toBe("anthropic/claude-sonnet-4-5");
  });

  it("platform credit: workers-ai/... through the proxy goes to the gateway's OpenAI-compatible endpoint", async () => {
    const user = await newUser();
    const sent = await proxied(user, "workers-ai/@cf/meta/llama-4-scout-17b-16e-instruct");
    expect(sent.path).toBe("/gateway/compat/chat/completions");
    expect(sent.headers["cf-aig-authorization"]).toBe("Bearer test-gateway-token");
    expect(sent.headers.authorization).toBeUndefined();
    expect((sent.body as { model: string }).model).toBe("workers-ai/@cf/meta/llama-4-scout-17b-16e-instruct");
  });

  it("compat/... goes to SAM_COMPAT_BASE_URL with no gateway headers", async () => {
    const user = await newUser();
    const sent = await proxied(user, "compat/fake-model");
    expect(sent.path).toBe("/v1/chat/completions");
    // The caller's SAM token is never passed upstream (no SAM_COMPAT_API_KEY is set here).
    expect(sent.headers.authorization).toBeUndefined();
    expect(JSON.stringify(sent.headers)).not.toContain(user.token);
    expect(sent.headers["cf-aig-authorization"]).toBeUndefined();
    expect(sent.headers["cf-aig-metadata"]).toBeUndefined();
    expect((sent.body as { model: string }).model).toBe("fake-model");
  });

  it("a project's payer-mode override applies to calls attributed to it, with the project in the metadata", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "override" } }, 201);
    await user.json("/api/credentials", { method: "POST", json: { provider: "openai", key: OPENAI_KEY } }, 201);
    const settings = await user.json<{ payerMode: string; effectivePayerMode: string }>(`/api/projects/${project.id}/model-settings`, { method: "PUT", json: { payerMode: "own-key" } });
    expect(settings).toMatchObject({ payerMode: "own-key", effectivePayerMode: "own-key" });
    const inProject = await proxied(user, "openai/gpt-4.1-mini", { "x-sam-project-id": project.id });
    expect(inProject.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(JSON.parse(inProject.headers["cf-aig-metadata"])).toEqual({ userId: user.id, projectId: project.id });
    const outside = await proxied(user, "openai/gpt-4.1-mini");
    expect(outside.headers.authorization).toBeUndefined();
    expect(outside.headers["cf-aig-authorization"]).toBe("Bearer test-gateway-token");
  });

  it("own-key without a key fails clearly, before anything goes upstream (proxy and task creation)", async () => {
    const user = await newUser();
    await user.json("/api/me/settings", { method: "PUT", json: { payerMode: "own-key" } });
    const { marker } = scriptKey("nokey");
    const response = await user.call("/ai/v1/chat/completions", { method: "POST", json: chat("openai/gpt-4.1-mini", `hi ${marker}`) });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("credential_missing");
    expect(body.error.message).toContain("own-key");
    expect(body.error.message).toContain("POST /api/credentials");
    expect(await requestsWith(marker)).toHaveLength(0);

    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "p" } }, 201);
    const task = await user.call(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: "x", model: "openai/gpt-4.1-mini" } });
    expect(task.status).toBe(400);
    expect(((await task.json()) as { error: { code: string } }).error.code).toBe("credential_missing");

    const workersAi = await user.call("/ai/v1/chat/completions", { method: "POST", json: chat("workers-ai/@cf/meta/llama-4-scout-17b-16e-instruct", "hi") });
    expect(workersAi.status).toBe(400);
    expect(((await workersAi.json()) as { error: { code: string } }).error.code).toBe("payer_mode_conflict");
  });

  it("a task in own-key mode calls the gateway with the user's key, and the key never reaches its transcript", async () => {
    const user = await ownKeyUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "task own key" } }, 201);
    const { key, marker } = scriptKey("task-own");
    await setScript(key, [{ toolCalls: [{ name: "bash", arguments: { command: "echo step" } }] }, { text: "done with own key" }]);
    const created = await user.json<{ id: string }>(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: `go ${marker}`, model: "openai/gpt-4.1-mini" } }, 201);
    const task = await waitForUserTask(user, created.id);
    expect(task.status).toBe("succeeded");
    const sent = await requestsWith(marker);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.path).toBe("/gateway/openai/chat/completions");
      expect(request.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(JSON.parse(request.headers["cf-aig-metadata"])).toEqual({ userId: user.id, projectId: project.id, taskId: created.id });
    }
    const events = await user.json<{ events: unknown[] }>(`/api/tasks/${created.id}/transcript`);
    expect(JSON.stringify(events)).not.toContain(OPENAI_KEY);
    expect(JSON.stringify(await user.json(`/api/tasks/${created.id}`))).not.toContain(OPENAI_KEY);
  });
});

