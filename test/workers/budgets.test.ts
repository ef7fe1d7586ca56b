/**
 * Budgets, enforced in the path of the call: daily input and output tokens and the monthly USD
 * cap on proxy calls (429 budget_exceeded), 20 concurrent calls near a cap, a task that stops
 * on its own budget (given or the project's default), a step's admission asked ahead and
 * released, mission budgets through the gate, and refusal before a task starts. Every test has its own user.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { MissionView, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { newId } from "../../src/ids.ts";
import { beginGatedCall, BudgetExceededError } from "../../src/models/gate.ts";
import type { BudgetStatus } from "../../src/models/usage.ts";
import { pollUntil } from "../support/poll.ts";
import { chat, newUser, scriptKey, setScript, settled, type TestUser, waitForUserTask } from "./gate-helpers.ts";

type ErrorBody = { error: { code: string; message: string } };

/** One proxy call; `wait` (default) also waits until its usage is recorded (just after the answer). */
async function proxy(user: TestUser, body: Record<string, unknown>, wait = true): Promise<{ status: number; body: unknown }> {
  const response = await user.call("/ai/v1/chat/completions", { method: "POST", json: body });
  const result = { status: response.status, body: await response.json() };
  if (wait) await settled(user);
  return result;
}

describe("budgets", () => {
  it("reports no limits for a new user, sets and removes them, and refuses bad input", async () => {
    const user = await newUser();
    const initial = await user.json<BudgetStatus>("/api/me/budgets");
    expect(initial.dailyInputTokens).toMatchObject({ limit: null, used: 0, reserved: 0, left: null });
    expect(initial.monthlyUsd).toMatchObject({ limit: null, used: 0, left: null });
    expect(Date.parse(initial.dailyInputTokens.resetsAt)).toBeGreaterThan(Date.now());
    const set = await user.json<BudgetStatus>("/api/me/budgets", { method: "PUT", json: { dailyInputTokens: 1000, monthlyUsd: 5 } });
    expect(set.dailyInputTokens).toMatchObject({ limit: 1000, left: 1000 });
    expect(set.monthlyUsd).toMatchObject({ limit: 5, left: 5 });
    expect(set.dailyOutputTokens.limit).toBeNull();
    const removed = await user.json<BudgetStatus>("/api/me/budgets", { method: "PUT", json: { monthlyUsd: null } });
    expect(removed.monthlyUsd.limit).toBeNull();
    expect(removed.dailyInputTokens.limit).toBe(1000);
    for (const json of [{ dailyInputTokens: -1 }, { monthlyUsd: "5" }, { dailyOutputTokens: 1.5 }, { weekly: 3 }]) {
      const response = await user.call("/api/me/budgets", { method: "PUT", json });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorBody).error.code).toBe("invalid_input");
    }
  });

  it("enforces the daily input token budget on proxy calls with 429 budget_exceeded", async () => {
    const user = await newUser();
    const { key, marker } = scriptKey("daily-in");
    await setScript(key, [{ text: "ok" }]); // 12 prompt tokens per call
    await user.json("/api/me/budgets", { method: "PUT", json: { dailyInputTokens: 30 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await proxy(user, chat("compat/fake-model", marker))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await proxy(user, chat("compat/fake-model", marker));
    expect(refused.status).toBe(429);
    expect((refused.body as ErrorBody).error.code).toBe("budget_exceeded");
    expect((refused.body as ErrorBody).error.message).toContain("daily input token budget");
    const budgets = await user.json<BudgetStatus>("/api/me/budgets");
    expect(budgets.dailyInputTokens).toMatchObject({ limit: 30, used: 36, reserved: 0, left: 0 });
  });

  it("enforces the daily output token budget", async () => {
    const user = await newUser();
    const { key, marker } = scriptKey("daily-out");
    await setScript(key, [{ text: "ok", usage: { completion_tokens: 40 } }]);
    await user.json("/api/me/budgets", { method: "PUT", json: { dailyOutputTokens: 50 } });
    expect((await proxy(user, chat("compat/fake-model", marker))).status).toBe(200);
    expect((await proxy(user, chat("compat/fake-model", marker))).status).toBe(200);
    const refused = await proxy(user, chat("compat/fake-model", marker));
    expect(refused.status).toBe(429);
    expect((refused.body as ErrorBody).error.message).toContain("daily output token budget");
  });

  it("enforces the monthly USD cap from the upstream's usage at the model's price", async () => {
    const user = await newUser();
    const { key, marker } = scriptKey("monthly");
    // gpt-4.1-mini: 12 × $0.40 + 5 × $1.60 per million = $0.0000128 per call.
    await setScript(key, [{ text: "ok" }]);
    await user.json("/api/me/budgets", { method: "PUT", json: { monthlyUsd: 0.00003 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await proxy(user, chat("openai/gpt-4.1-mini", marker))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const budgets = await user.json<BudgetStatus>("/api/me/budgets");
    expect(budgets.monthlyUsd.used).toBeCloseTo(3 * 0.0000128, 10);
    expect(budgets.monthlyUsd.left).toBe(0);
  });

  it("20 concurrent calls near the cap overshoot it by no more than the calls in flight", async () => {
    const user = await newUser();
    const { key, marker } = scriptKey("concurrent");
    // Each call asks for at most 4 output tokens (reserved) and reports 4.
    await setScript(key, [{ text: "ok", usage: { completion_tokens: 4 } }]);
    expect((await proxy(user, chat("compat/fake-model", marker, { max_tokens: 4 }))).status).toBe(200);
    // 4 used of 17: a call is admitted while used + reserved < 17.
    await user.json("/api/me/budgets", { method: "PUT", json: { dailyOutputTokens: 17 } });
    const results = await Promise.all(Array.from({ length: 20 }, () => proxy(user, chat("compat/fake-model", marker, { max_tokens: 4 }), false)));
    await settled(user);
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429);
    expect(ok + refused.length).toBe(20);
    for (const r of refused) expect((r.body as ErrorBody).error.code).toBe("budget_exceeded");
    // Admission sees settled usage plus reservations: 4 + 4k < 17 admits k = 0..3, i.e. 4 calls.
    expect(ok).toBe(4);
    const budgets = await user.json<BudgetStatus>("/api/me/budgets");
    expect(budgets.dailyOutputTokens.used).toBe(4 + 4 * ok);
    expect(budgets.dailyOutputTokens.reserved).toBe(0);
    // Overshoot (20 − 17 = 3 tokens) is less than one call in flight (4 tokens).
    expect(budgets.dailyOutputTokens.used - 17).toBeLessThanOrEqual(4);
  });

  it("stops a task on its budget: failed with reason budget_exceeded, after the call that used it up", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "budgeted" } }, 201);
    const { key, marker } = scriptKey("task-budget");
    // Each step: 10,000 prompt + 1,000 completion tokens of gpt-4.1-mini = $0.0056.
    const usage = { prompt_tokens: 10_000, completion_tokens: 1_000 };
    await setScript(key, [
      ...Array.from({ length: 5 }, (_, i) => ({ toolCalls: [{ name: "bash", arguments: { command: `echo step ${i}` } }], usage })),
      { text: "never reached", usage },
    ]);
    const created = await user.json<{ id: string }>(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: `spend ${marker}`, model: "openai/gpt-4.1-mini", budgetUsd: 0.011 } }, 201);
    const task = await waitForUserTask(user, created.id);
    expect(task.status).toBe("failed");
    expect(task.error).toMatch(/^budget_exceeded: task budget exhausted/);
    expect(task.steps).toBe(2);
    expect(task.usage.costUsd).toBeCloseTo(0.0112, 8);
    const events = (await user.json<{ events: TranscriptEvent[] }>(`/api/tasks/${created.id}/transcript`)).events;
    expect(events.at(-1)).toMatchObject({ type: "status", status: "failed" });
    expect((events.at(-1) as { reason?: string }).reason).toContain("budget_exceeded");
  });

  it("admits a task's next step while its tool runs, and releases that admission when the task is cancelled", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "ahead" } }, 201);
    const script = [{ toolCalls: [{ toolName: "bash", input: { command: "sleep 20" } }] }, { text: "never reached" }];
    const created = await user.json<{ id: string }>(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: "sleep", script } }, 201);
    // While `sleep` runs no model call is in flight, yet the next step's estimate is reserved.
    let budgets = await pollUntil("the next step's output tokens to be reserved", () => user.json<BudgetStatus>("/api/me/budgets"), (b) => b.dailyOutputTokens.reserved > 0, {
      timeoutMs: 5_000,
    });
    expect(budgets.dailyOutputTokens.reserved).toBeGreaterThan(0);
    expect((await user.json<TaskView>(`/api/tasks/${created.id}/cancel`, { method: "POST" })).status).toBe("cancelled");
    await settled(user);
    budgets = await user.json<BudgetStatus>("/api/me/budgets");
    expect(budgets.dailyOutputTokens.reserved).toBe(0);
    expect(budgets.dailyInputTokens.reserved).toBe(0);
    // Only the one call that was made is in the ledger; the released admission left nothing.
    const byTask = await user.json<{ groups: { key: string; calls: number }[] }>("/api/usage?groupBy=task");
    expect(byTask.groups.find((g) => g.key === created.id)?.calls).toBe(1);
  });

  it("releases the admission asked ahead when a tool result outgrew it, and admits the step anew", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "ahead, large result" } }, 201);
    const big = "x".repeat(20_000); // far beyond AHEAD_OUTPUT_ALLOWANCE_CHARS
    const script = [{ toolCalls: [{ toolName: "read_file", input: { path: "big.txt" } }] }, { text: "done" }];
    const created = await user.json<{ id: string }>(
      `/api/projects/${project.id}/tasks`,
      { method: "POST", json: { prompt: "read", script, workspace: { files: { "big.txt": big } } } },
      201,
    );
    const task = await waitForUserTask(user, created.id);
    expect(task.status).toBe("succeeded");
    expect(task.steps).toBe(2);
    await settled(user);
    const budgets = await user.json<BudgetStatus>("/api/me/budgets");
    expect(budgets.dailyInputTokens.reserved).toBe(0);
    expect(budgets.dailyOutputTokens.reserved).toBe(0);
    const byTask = await user.json<{ groups: { key: string; calls: number }[] }>("/api/usage?groupBy=task");
    expect(byTask.groups.find((g) => g.key === created.id)?.calls).toBe(2);
  });

  it("gives a task the project's default budget when it names none", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "default budget" } }, 201);
    await user.json(`/api/projects/${project.id}/model-settings`, { method: "PUT", json: { defaultTaskBudgetUsd: 0.011 } });
    const { key, marker } = scriptKey("default-budget");
    const usage = { prompt_tokens: 10_000, completion_tokens: 1_000 };
    await setScript(key, Array.from({ length: 5 }, () => ({ toolCalls: [{ name: "bash", arguments: { command: "true" } }], usage })));
    const created = await user.json<{ id: string }>(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: `spend ${marker}`, model: "openai/gpt-4.1-mini" } }, 201);
    const task = await waitForUserTask(user, created.id);
    expect(task.status).toBe("failed");
    expect(task.error).toMatch(/^budget_exceeded/);
    expect(task.steps).toBe(2);

    // `budgetUsd: null` opts out of the project's default: the same script runs to its end.
    const unbounded = await user.json<{ id: string }>(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: `spend ${marker}`, model: "openai/gpt-4.1-mini", budgetUsd: null } }, 201);
    const done = await waitForUserTask(user, unbounded.id);
    expect(done.status).toBe("succeeded");
    expect(done.steps).toBe(6);
  });

  it("refuses to start a task when a remaining budget is below the configured minimum", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "refusals" } }, 201);
    const start = (json: Record<string, unknown>) => user.call(`/api/projects/${project.id}/tasks`, { method: "POST", json: { prompt: "p", script: [{ text: "done" }], ...json } });

    await user.json("/api/me/budgets", { method: "PUT", json: { monthlyUsd: 0.005 } }); // below the $0.01 minimum
    let response = await start({});
    expect(response.status).toBe(429);
    let body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe("budget_exceeded");
    expect(body.error.message).toContain("monthly budget");
    expect(body.error.message).toContain("PUT /api/me/budgets");

    await user.json("/api/me/budgets", { method: "PUT", json: { monthlyUsd: null, dailyInputTokens: 500 } }); // below 1000 tokens
    response = await start({});
    expect(response.status).toBe(429);
    expect(((await response.json()) as ErrorBody).error.message).toContain("daily input token budget");

    await user.json("/api/me/budgets", { method: "PUT", json: { dailyInputTokens: null } });
    response = await start({ budgetUsd: 0.001 });
    expect(response.status).toBe(429);
    body = (await response.json()) as ErrorBody;
    expect(body.error.message).toContain("below the minimum");

    // Nothing was created by the refusals; with room left the same task starts.
    expect(((await user.json<{ tasks: unknown[] }>(`/api/projects/${project.id}/tasks`)).tasks)).toHaveLength(0);
    const ok = await start({ budgetUsd: 1 });
    expect(ok.status).toBe(201);
  });

  it("counts calls against a mission's budget when the call context carries one", async () => {
    const user = await newUser();
    const missionId = newId("mission");
    const context = { userId: user.id, projectId: null, missionId, missionBudgetUsd: 0.01 };
    const estimate = { inputTokens: 10, outputTokens: 10, costUsd: 0.001 };
    const first = await beginGatedCall(env, context, "openai/gpt-4.1-mini", estimate, "proxy");
    // 20,000 input tokens at $0.40/M = $0.008; the next call is admitted (0.008 < 0.01)...
    expect(await first.settle({ inputTokens: 20_000, outputTokens: 0, cachedInputTokens: 0, status: "ok", latencyMs: 5 })).toBeCloseTo(0.008, 10);
    const second = await beginGatedCall(env, context, "openai/gpt-4.1-mini", estimate, "proxy");
    await second.settle({ inputTokens: 20_000, outputTokens: 0, cachedInputTokens: 0, status: "ok", latencyMs: 5 });
    // ...and then the mission's budget is spent.
    const refused = await beginGatedCall(env, context, "openai/gpt-4.1-mini", estimate, "proxy").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((refused as BudgetExceededError).scope).toBe("mission");
    // The same user's calls outside the mission are not affected.
    const other = await beginGatedCall(env, { userId: user.id, projectId: null }, "openai/gpt-4.1-mini", estimate, "proxy");
    await other.settle({ inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, status: "ok", latencyMs: 1 });
    const usage = await user.json<{ groups: { key: string; calls: number }[] }>("/api/usage?groupBy=model");
    expect(usage.groups).toEqual([expect.objectContaining({ key: "openai/gpt-4.1-mini", calls: 3 })]);
    const byMission = await user.json<{ groups: { key: string; calls: number; costUsd: number }[] }>("/api/usage?groupBy=mission");
    expect(byMission.groups.map((g) => [g.key, g.calls])).toEqual([["", 1], [missionId, 2]]);
    expect(byMission.groups[1].costUsd).toBeCloseTo(0.016, 10);
  });
});

describe("mission budgets", () => {
  it("stops a mission's tasks when the mission's budget runs out, and the mission shows which budget", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "mission budget" } }, 201);
    const { key, marker } = scriptKey("mission-budget");
    // Each step: 10k prompt + 1k completion tokens of gpt-4.1-mini ≈ $0.0056.
    const usage = { prompt_tokens: 10_000, completion_tokens: 1_000 };
    await setScript(key, Array.from({ length: 5 }, () => ({ toolCalls: [{ name: "bash", arguments: { command: "true" } }], usage })));
    const task = (k: string) => ({ key: k, prompt: `spend ${marker}`, model: "openai/gpt-4.1-mini", budgetUsd: null });
    const created = await user.json<{ id: string }>(
      `/api/projects/${project.id}/missions`,
      { method: "POST", json: { goal: "spend", budgetUsd: 0.015, maxConcurrent: 1, maxRetries: 1, tasks: [task("a"), { ...task("b"), dependsOn: ["a"] }] } },
      201,
    );
    const mission = await pollUntil("the mission to end", () => user.json<MissionView>(`/api/missions/${created.id}`), (m) => ["succeeded", "failed", "cancelled"].includes(m.status), {
      timeoutMs: 20_000,
      intervalMs: 100,
      show: (m) => ({ status: m.status, tasks: m.tasks.map((t) => t.status) }),
    });
    expect(mission.status).toBe("failed");
    expect(mission.budgetUsd).toBe(0.015);
    const [a, b] = mission.tasks;
    expect(a?.status).toBe("failed");
    expect(a?.error).toMatch(/^budget_exceeded: mission budget exhausted/);
    // A spent budget is not retried, and the dependent never started.
    expect(a?.attempts).toBe(1);
    expect(b?.status).toBe("skipped");
    expect(mission.usage.costUsd).toBeGreaterThan(0.01);
    expect(mission.usage.costUsd).toBeLessThanOrEqual(0.015 + 0.006);
  });

  it("refuses a mission before it starts when the remaining budget is below the minimum", async () => {
    const user = await newUser();
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "refused" } }, 201);
    await user.json("/api/me/budgets", { method: "PUT", json: { monthlyUsd: 0.001 } });
    const response = await user.call(`/api/projects/${project.id}/missions`, {
      method: "POST",
      json: { goal: "too poor", tasks: [{ key: "a", prompt: "p", model: "openai/gpt-4.1-mini" }] },
    });
    expect(response.status).toBe(429);
    expect(((await response.json()) as ErrorBody).error.code).toBe("budget_exceeded");
    expect((await user.json<{ missions: MissionView[] }>(`/api/projects/${project.id}/missions`)).missions).toEqual([]);
  });
});
