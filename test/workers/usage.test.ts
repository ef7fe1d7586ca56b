/**
 * Accounting: every call (proxy and task) is recorded with time, user, project, mission, task,
 * model, input/output/cached tokens, USD cost, latency and status; `GET /api/usage` totals them
 * by day, model, project or task within [from, to). Also the proxy's own contract (models list,
 * bad input, unknown models) as seen from inside the runtime.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { chat, newUser, scriptKey, setScript, settled, type TestUser, waitForUserTask } from "./gate-helpers.ts";
import { api } from "./helpers.ts";

type Usage = {
  groupBy: string;
  from: string;
  to: string;
  totals: { calls: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number };
  groups: { key: string; calls: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number }[];
};

type LedgerRow = {
  id: string;
  at: string;
  project_id: string | null;
  mission_id: string | null;
  task_id: string | null;
  model: string;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cost_usd: number;
  latency_ms: number;
  status: string;
  http_status: number | null;
  source: string;
};

describe("usage accounting", () => {
  it("records every call and totals it by model, project, task and day", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "accounted" } }, 201);
    const { key, marker } = scriptKey("usage");
    await setScript(key, [{ text: "ok", usage: { prompt_tokens: 100, completion_tokens: 10, cached_tokens: 40 } }]);
    const { key: errKey, marker: errMarker } = scriptKey("usage-err");
    await setScript(errKey, [{ error: { status: 400, message: "context length exceeded", code: "context_length_exceeded" } }]);

    // Two priced compat calls (fake-model-2: $1000 / $2000 per million, in the test config), one
    // gateway call in the project with cached input, one failing call, one scripted task.
    for (let i = 0; i < 2; i++) expect((await user.call("/ai/v1/chat/completions", { method: "POST", json: chat("compat/fake-model-2", marker) })).status).toBe(200);
    expect((await user.call("/ai/v1/chat/completions", { method: "POST", json: chat("openai/gpt-4.1-mini", marker), headers: { "x-sam-project-id": project.id } })).status).toBe(200);
    expect((await user.call("/ai/v1/chat/completions", { method: "POST", json: chat("compat/fake-model", errMarker) })).status).toBe(400);
    const created = await user.json<{ id: string }>(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: "scripted", script: [{ text: "done" }] } }, 201);
    const task = await waitForUserTask(user, created.id);
    expect(task.status).toBe("succeeded");
    await settled(user);

    const byModel = await user.json<Usage>("/api/usage?groupBy=model");
    expect(byModel.totals.calls).toBe(5);
    const models = Object.fromEntries(byModel.groups.map((g) => [g.key, g]));
    expect(Object.keys(models).sort()).toEqual(["compat/fake-model", "compat/fake-model-2", "openai/gpt-4.1-mini", "scripted"]);
    // (100 × 1000 + 10 × 2000) / 1e6 per call (no cached price configured: cached input at the input price).
    expect(models["compat/fake-model-2"]).toMatchObject({ calls: 2, inputTokens: 200, outputTokens: 20, cachedInputTokens: 80 });
    expect(models["compat/fake-model-2"].costUsd).toBeCloseTo(0.24, 10);
    // gpt-4.1-mini: 60 uncached × $0.40 + 40 cached × $0.10 + 10 × $1.60, per million.
    expect(models["openai/gpt-4.1-mini"].costUsd).toBeCloseTo((60 * 0.4 + 40 * 0.1 + 10 * 1.6) / 1e6, 12);
    expect(models["compat/fake-model"]).toMatchObject({ calls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    expect(models.scripted.calls).toBe(1);
    expect(models.scripted.inputTokens).toBe(task.usage.inputTokens);

    const byProject = await user.json<Usage>("/api/usage?groupBy=project");
    expect(byProject.groups.map((g) => [g.key, g.calls])).toEqual([["", 3], [project.id, 2]]);
    const byTask = await user.json<Usage>("/api/usage?groupBy=task");
    expect(byTask.groups.map((g) => [g.key, g.calls])).toEqual([["", 4], [created.id, 1]]);
    const byDay = await user.json<Usage>("/api/usage?groupBy=day");
    const today = new Date().toISOString().slice(0, 10);
    expect(byDay.groups.map((g) => [g.key, g.calls])).toEqual([[today, 5]]);
    expect(byDay.totals.costUsd).toBeCloseTo(byModel.totals.costUsd, 12);
    const todayOnly = await user.json<Usage>(`/api/usage?groupBy=day&from=${today}&to=${today}`);
    expect(todayOnly.totals.calls).toBe(5);
    const past = await user.json<Usage>("/api/usage?groupBy=day&from=2020-01-01&to=2020-01-31");
    expect(past).toMatchObject({ totals: { calls: 0, costUsd: 0 }, groups: [] });

    // The ledger rows carry every field.
    const rows = await runInDurableObject(env.UserAgent.get(env.UserAgent.idFromName(user.id)), (_i, state) =>
      state.storage.sql.exec<LedgerRow>(`SELECT * FROM usage ORDER BY at`).toArray(),
    );
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row.id).toMatch(/^call_/);
      expect(Date.parse(row.at)).toBeLessThanOrEqual(Date.now());
      expect(row.latency_ms).toBeGreaterThanOrEqual(0);
    }
    const failed = rows.find((r) => r.status !== "ok");
    expect(failed).toMatchObject({ model: "compat/fake-model", status: "upstream_error", http_status: 400, source: "proxy" });
    const taskRow = rows.find((r) => r.task_id === created.id);
    expect(taskRow).toMatchObject({ project_id: project.id, model: "scripted", status: "ok", source: "task", mission_id: null });
  });

  it("answers bad usage queries with 400", async () => {
    const user = await newUser();
    for (const query of ["groupBy=week", "from=yesterday", "to=2026-13-45"]) {
      const response = await user.call(`/api/usage?${query}`);
      expect(response.status, query).toBe(400);
    }
  });
});

describe("the proxy's contract", () => {
  it("lists the models this caller may use, per payer mode", async () => {
    const user = await newUser();
    const ids = async () => ((await user.json<{ object: string; data: { id: string; object: string; owned_by: string }[] }>("/ai/v1/models")).data).map((m) => m.id);
    const platform = await ids();
    expect(platform).toEqual(expect.arrayContaining(["openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5", "compat/fake-model", "compat/fake-model-2"]));
    expect(platform).not.toContain("scripted");
    await user.json("/api/me/settings", { method: "PUT", json: { payerMode: "own-key" } });
    const ownKey = await ids();
    expect(ownKey.filter((id) => id.startsWith("openai/") || id.startsWith("anthropic/") || id.startsWith("workers-ai/"))).toEqual([]);
    expect(ownKey).toContain("compat/fake-model");
    await user.json("/api/credentials", { method: "POST", json: { provider: "openai", key: "sk-test-models-list-key" } }, 201);
    const withKey = await ids();
    expect(withKey).toContain("openai/gpt-4.1");
    expect(withKey.some((id) => id.startsWith("anthropic/"))).toBe(false);
  });

  it("answers unknown or not allowed models with a 400 naming the model, and bad requests with 400/401", async () => {
    const user = await newUser();
    for (const model of ["gpt-4o", "openai/gpt-9", "compat/not-served", "scripted"]) {
      const response = await user.call("/ai/v1/chat/completions", { method: "POST", json: chat(model, "hi") });
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(response.status, model).toBe(400);
      expect(body.error.code).toBe("model_not_found");
      expect(body.error.message).toContain(`"${model}"`);
    }
    expect((await user.call("/ai/v1/chat/completions", { method: "POST", json: { model: "compat/fake-model" } })).status).toBe(400);
    expect((await user.call("/ai/v1/chat/completions", { method: "POST", body: "{", headers: { "content-type": "application/json" } })).status).toBe(400);
    const wrongToken = await api("/ai/v1/chat/completions", { method: "POST", json: chat("compat/fake-model", "hi"), token: "sam_pat_not_a_real_token_000" });
    expect(wrongToken.status).toBe(401);
    expect((await api("/ai/v1/models", { token: null })).status).toBe(401);
    const otherProject = await user.call("/ai/v1/chat/completions", { method: "POST", json: chat("compat/fake-model", "hi"), headers: { "x-sam-project-id": "prj_01JZZZZZZZZZZZZZZZZZZZZZZZ" } });
    expect(otherProject.status).toBe(404);
  });
});
