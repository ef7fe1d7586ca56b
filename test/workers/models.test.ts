import { env } from "cloudflare:workers";
import { generateText } from "ai";
import { describe, expect, it } from "vitest";
import { resolveModel } from "../../src/models/registry.ts";
import type { FakeStep, RecordedRequest } from "../support/fake-openai.ts";
import { apiJson, projectWithSession, transcript, waitForTask } from "./helpers.ts";

async function setFakeScript(steps: FakeStep[]): Promise<void> {
  await fetch(`${env.FAKE_MODEL_URL}/__control/script`, { method: "PUT", body: JSON.stringify({ steps }) });
}

async function fakeRequests(): Promise<RecordedRequest[]> {
  return ((await (await fetch(`${env.FAKE_MODEL_URL}/__control/requests`)).json()) as { requests: RecordedRequest[] }).requests;
}

describe("model routing", () => {
  it("runs a two-step tool loop against an OpenAI-compatible server (compat/...)", async () => {
    await setFakeScript([{ toolCalls: [{ name: "bash", arguments: { command: "echo from-compat > out.txt && cat out.txt" } }] }, { text: "wrote out.txt" }]);
    const { projectId } = await projectWithSession();
    const created = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "write a file (two-step compat test)", model: "compat/fake-model" } }, 201);
    const task = await waitForTask(created.id);
    expect(task.status).toBe("succeeded");
    expect(task.summary).toBe("wrote out.txt");
    expect(task.usage).toMatchObject({ inputTokens: 24, outputTokens: 10 });
    const bash = (await transcript(created.id)).find((e) => e.type === "tool_result");
    expect(bash?.type === "tool_result" && bash.output).toContain("from-compat");
    const calls = (await fakeRequests()).filter((r) => JSON.stringify(r.body).includes("two-step compat test"));
    expect(calls.map((c) => c.path)).toEqual(["/v1/chat/completions", "/v1/chat/completions"]);
    const second = calls[1].body as { model: string; messages: { role: string; content: unknown }[]; tools: { function: { name: string } }[] };
    expect(second.model).toBe("fake-model");
    expect(second.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(second.tools.map((t) => t.function.name).sort()).toEqual(["ask_human", "bash", "dispatch_task", "edit_file", "grep", "list_files", "read_file", "request_vm", "wait_for_tasks", "write_file"]);
  });

  it("sends openai/... through AI Gateway with unified billing and spend metadata", async () => {
    await setFakeScript([{ text: "gateway says hi" }]);
    const { projectId } = await projectWithSession();
    const created = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "via gateway", model: "openai/gpt-4.1-mini" } }, 201);
    const task = await waitForTask(created.id);
    expect(task.status).toBe("succeeded");
    expect(task.summary).toBe("gateway says hi");
    expect(task.usage.costUsd).toBeGreaterThan(0);
    const call = (await fakeRequests()).find((r) => JSON.stringify(r.body).includes("via gateway"));
    expect(call?.path).toBe("/gateway/openai/chat/completions");
    expect(call?.headers["cf-aig-authorization"]).toBe("Bearer test-gateway-token");
    expect(call?.headers.authorization).toBeUndefined();
    expect(JSON.parse(call?.headers["cf-aig-metadata"] ?? "{}")).toMatchObject({ projectId, taskId: created.id });
    expect((call?.body as { model: string }).model).toBe("gpt-4.1-mini");
  });

  it("sends workers-ai/... to the AI binding with the gateway and metadata", async () => {
    const calls: { model: string; inputs: unknown; options: unknown }[] = [];
    const fakeAi = {
      async run(model: string, inputs: unknown, options: unknown) {
        calls.push({ model, inputs, options });
        return { response: "workers ai answer", usage: { prompt_tokens: 3, completion_tokens: 2 } };
      },
    } as unknown as Ai;
    const model = resolveModel("workers-ai/@cf/qwen/qwen2.5-coder-32b-instruct", { ...env, AI: fakeAi }, { userId: "usr_x", projectId: "prj_y", taskId: "tsk_z" });
    const result = await generateText({ model, prompt: "hello" });
    expect(result.text).toBe("workers ai answer");
    expect(calls).toHaveLength(1);
    expect(calls[0].model).toBe("@cf/qwen/qwen2.5-coder-32b-instruct");
    expect(calls[0].options).toMatchObject({ gateway: { id: "sam", metadata: { userId: "usr_x", projectId: "prj_y", taskId: "tsk_z" } } });
  });

  it("fails the task with the upstream's reason when the model call fails", async () => {
    await setFakeScript([{ error: { status: 400, message: "this model does not support tools" } }]);
    const { projectId } = await projectWithSession();
    const created = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "doomed", model: "compat/fake-model" } }, 201);
    const task = await waitForTask(created.id);
    expect(task.status).toBe("failed");
    expect(task.error).toContain("this model does not support tools");
    const last = (await transcript(created.id)).at(-1);
    expect(last).toMatchObject({ type: "status", status: "failed" });
  });

  it("refuses models whose provider is not configured", () => {
    expect(() => resolveModel("workers-ai/@cf/x", { ...env, AI: undefined }, { userId: "u", projectId: "p" })).toThrow(/Workers AI binding/);
    expect(() => resolveModel("compat/x", { ...env, SAM_COMPAT_BASE_URL: undefined }, { userId: "u", projectId: "p" })).toThrow(/SAM_COMPAT_BASE_URL/);
    expect(() => resolveModel("openai/x", { ...env, AI_GATEWAY_TOKEN: undefined }, { userId: "u", projectId: "p" })).toThrow(/AI_GATEWAY_TOKEN/);
  });
});
