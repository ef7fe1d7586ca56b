import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ChatMessage, MissionView, ServerFrame } from "../../src/shared/protocol.ts";
import type { RecordedRequest } from "../support/fake-openai.ts";
import { pollUntil } from "../support/poll.ts";
import { newUser, settled } from "./gate-helpers.ts";
import { api, apiJson, connect, projectWithSession, waitForTask } from "./helpers.ts";

type Project = { id: string; name: string; techLead: { model: string; script?: unknown[] } | null; limits: Record<string, number> };

async function techLeadSession(projectId: string): Promise<string> {
  const session = await apiJson<{ id: string; kind: string }>(`/api/projects/${projectId}/sessions`, { method: "POST", json: { title: "lead", kind: "tech-lead" } }, 201);
  expect(session.kind).toBe("tech-lead");
  return session.id;
}

async function say(projectId: string, sessionId: string, text: string): Promise<void> {
  await apiJson(`/api/projects/${projectId}/sessions/${sessionId}/messages`, { method: "POST", json: { text } }, 201);
}

async function messages(projectId: string, sessionId: string): Promise<ChatMessage[]> {
  return (await apiJson<{ messages: ChatMessage[] }>(`/api/projects/${projectId}/sessions/${sessionId}/messages`)).messages;
}

/** What a timeout error shows of a session's messages. */
const showMessages = (all: ChatMessage[]) => all.map((m) => `${m.author.name}: ${m.text}`);

/** Polls the session's messages until `done(messages)` holds and returns them; throws after `timeoutMs` (default 5 s) with the messages seen. */
async function waitForMessages(projectId: string, sessionId: string, what: string, done: (all: ChatMessage[]) => boolean, timeoutMs = 5_000): Promise<ChatMessage[]> {
  return pollUntil(what, () => messages(projectId, sessionId), done, { timeoutMs, show: showMessages });
}

describe("the tech lead", () => {
  it("has a model setting: GET shows it, PATCH sets it, bad input is refused", async () => {
    const { projectId } = await projectWithSession();
    const initial = await apiJson<Project>(`/api/projects/${projectId}`);
    expect(initial.techLead).toBeNull();
    expect(initial.limits).toEqual({ maxDepth: 3, maxChildren: 5, maxConcurrentTasks: 10, silenceMs: 600_000, vm: { allowed: false, maxConcurrent: 1, maxHours: 2, serverType: "cx22", network: false } });
    const script = [{ text: "hello" }];
    const patched = await apiJson<Project>(`/api/projects/${projectId}`, { method: "PATCH", json: { techLead: { model: "scripted", script } } });
    expect(patched.techLead).toEqual({ model: "scripted", script });
    expect((await apiJson<Project>(`/api/projects/${projectId}`)).techLead).toEqual({ model: "scripted", script });
    const unknown = await api(`/api/projects/${projectId}`, { method: "PATCH", json: { techLead: { model: "nope/model" } } });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("model_unavailable");
    expect((await api(`/api/projects/${projectId}`, { method: "PATCH", json: { colour: "red" } })).status).toBe(400);
    expect((await api(`/api/projects/${projectId}`, { method: "PATCH", json: { limits: { silenceMs: 5 } } })).status).toBe(400);
    expect((await apiJson<Project>(`/api/projects/${projectId}`)).techLead).toEqual({ model: "scripted", script });
  });

  it("streams its reply token by token with tool cards to every client, creates a mission, and keeps the cards in history", async () => {
    const { projectId } = await projectWithSession();
    const sessionId = await techLeadSession(projectId);
    const plan = {
      goal: "ship the readme",
      tasks: [
        { key: "draft", prompt: "draft it", script: [{ toolCalls: [{ toolName: "bash", input: { command: "echo draft > README.md" } }] }, { text: "drafted" }] },
        { key: "review", prompt: "review it", dependsOn: ["draft"], script: [{ toolCalls: [{ toolName: "bash", input: { command: "cat README.md" } }] }, { text: "reviewed" }] },
      ],
    };
    await apiJson(`/api/projects/${projectId}`, {
      method: "PATCH",
      json: {
        techLead: {
          model: "scripted",
          script: [
            { toolCalls: [{ toolName: "create_mission", input: plan }, { toolName: "add_policy", input: { text: "Always run the tests." } }, { toolName: "get_mission", input: { missionId: "msn_00000000000000000000000000" } }] },
            { text: "I started the mission ship the readme and added a policy." },
          ],
        },
      },
    });
    const alice = await connect(projectId);
    const bob = await connect(projectId);
    await say(projectId, sessionId, "Please ship the readme");
    for (const client of [alice, bob]) {
      const final = await client.next((f) => f.type === "chat.message" && f.message.author.name === "tech lead");
      if (final.type !== "chat.message") throw new Error("unreachable");
      const deltas = client.frames.filter((f): f is Extract<ServerFrame, { type: "chat.delta" }> => f.type === "chat.delta");
      expect(deltas.length).toBeGreaterThan(3);
      expect(deltas.every((d) => d.draftId === final.message.draftId)).toBe(true);
      expect(deltas.map((d) => d.delta).join("")).toBe("I started the mission ship the readme and added a policy.");
      // Live cards arrive as each tool finishes; the stored message lists them in call order.
      const cards = client.frames.flatMap((f) => (f.type === "chat.card" ? [f.card] : []));
      expect(final.message.cards.map((c) => [c.toolName, c.isError])).toEqual([
        ["create_mission", false],
        ["add_policy", false],
        ["get_mission", true],
      ]);
      expect([...cards].sort((a, b) => a.toolName.localeCompare(b.toolName))).toEqual([...final.message.cards].sort((a, b) => a.toolName.localeCompare(b.toolName)));
      expect(final.message.text).toBe("I started the mission ship the readme and added a policy.");
      // Deltas come before the stored message.
      expect(client.frames.indexOf(final)).toBeGreaterThan(client.frames.indexOf(deltas.at(-1) as ServerFrame));
    }
    const history = await messages(projectId, sessionId);
    const reply = history.find((m) => m.author.name === "tech lead" && m.cards.length > 0);
    expect(reply?.cards.map((c) => c.toolName)).toEqual(["create_mission", "add_policy", "get_mission"]);
    expect(String(reply?.cards[2]?.output)).toContain("no mission msn_00000000000000000000000000 in this project");
    const missionId = (reply?.cards[0]?.output as { id: string }).id;
    expect(missionId).toMatch(/^msn_/);
    // The mission the tech lead created runs like any other, and reports back to this session.
    const mission = await pollUntil("the mission to end", () => apiJson<MissionView>(`/api/missions/${missionId}`), (m) => ["succeeded", "failed"].includes(m.status), {
      timeoutMs: 20_000,
      intervalMs: 100,
      show: (m) => ({ status: m.status, tasks: m.tasks.map((t) => [t.key, t.status]) }),
    });
    expect(mission.status).toBe("succeeded");
    const isSummary = (m: ChatMessage) => m.text.startsWith('Mission "ship the readme" succeeded');
    const summary = (await waitForMessages(projectId, sessionId, "the mission's summary", (all) => all.some(isSummary))).find(isSummary);
    expect(summary?.author.name).toBe("tech lead");
    const policies = await apiJson<{ policies: { text: string }[] }>(`/api/projects/${projectId}/policies`);
    expect(policies.policies.map((p) => p.text)).toEqual(["Always run the tests."]);
  });

  it("answers @lead in a chat session, stays quiet otherwise, and says when it has no model", async () => {
    const { projectId, sessionId } = await projectWithSession();
    await say(projectId, sessionId, "@lead are you there?");
    let history = await waitForMessages(projectId, sessionId, "the no-model notice", (all) => all.length >= 2);
    expect(history[1]?.role).toBe("system");
    expect(history[1]?.text).toContain("The tech lead has no model yet");
    await apiJson(`/api/projects/${projectId}`, { method: "PATCH", json: { techLead: { model: "scripted", script: [{ text: "Here." }, { text: "Still here." }] } } });
    await say(projectId, sessionId, "people talking among themselves");
    await say(projectId, sessionId, "hey @lead, status?");
    history = await waitForMessages(projectId, sessionId, "the tech lead's answer to @lead", (all) => all.length >= 5);
    expect(history.slice(2).map((m) => [m.author.name, m.text])).toEqual([
      ["local", "people talking among themselves"],
      ["local", "hey @lead, status?"],
      ["tech lead", "Here."],
    ]);
  });

  it("searches the chat and its knowledge with full-text search", async () => {
    const { projectId, sessionId } = await projectWithSession();
    await say(projectId, sessionId, "the deploy uses blue-green rollout");
    await say(projectId, sessionId, "lunch at noon");
    await apiJson(`/api/projects/${projectId}`, {
      method: "PATCH",
      json: {
        techLead: {
          model: "scripted",
          script: [
            {
              toolCalls: [
                { toolName: "add_knowledge", input: { title: "Database", text: "We use SQLite in every actor" } },
                { toolName: "search_knowledge", input: { query: "sqlite" } },
                { toolName: "search_messages", input: { query: "rollout" } },
                { toolName: "get_project_status", input: {} },
              ],
            },
            { text: "found" },
          ],
        },
      },
    });
    await say(projectId, sessionId, "@lead what do we know?");
    const reply = (await waitForMessages(projectId, sessionId, "the tech lead's reply", (all) => all.some((m) => m.author.name === "tech lead"))).find((m) => m.author.name === "tech lead");
    const outputs = Object.fromEntries((reply?.cards ?? []).map((c) => [c.toolName, c.output]));
    expect(outputs.search_knowledge).toMatchObject([{ title: "Database", text: "We use SQLite in every actor" }]);
    const found = outputs.search_messages as { text: string }[];
    expect(found.map((m) => m.text)).toEqual(["the deploy uses blue-green rollout"]);
    expect(outputs.get_project_status).toMatchObject({ tasks: {}, missions: {}, waitingOnPeople: [] });
  });

  it("puts project policies into every task's instructions", async () => {
    const { projectId } = await projectWithSession();
    await apiJson(`/api/projects/${projectId}/policies`, { method: "POST", json: { text: "Never touch the migrations folder." } }, 201);
    // A script of its own on the shared fake server (chosen by the marker), so other test files' scripts do not apply.
    const key = `policy-${crypto.randomUUID()}`;
    const marker = `policy check [script:${key}]`;
    await fetch(`${env.FAKE_MODEL_URL}/__control/script`, { method: "PUT", body: JSON.stringify({ key, steps: [{ text: "noted" }] }) });
    const created = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: marker, model: "compat/fake-model" } }, 201);
    expect((await waitForTask(created.id)).status).toBe("succeeded");
    const requests = ((await (await fetch(`${env.FAKE_MODEL_URL}/__control/requests`)).json()) as { requests: RecordedRequest[] }).requests;
    const call = requests.find((r) => JSON.stringify(r.body).includes(marker));
    const system = (call?.body as { messages: { role: string; content: string }[] }).messages.find((m) => m.role === "system");
    expect(system?.content).toContain("Project policies (always follow them):\n- Never touch the migrations folder.");
  });
});

describe("the tech lead's model calls", () => {
  it("go through the gate: recorded in usage, and refused when the speaker's budget is spent", async () => {
    const user = await newUser("lead-payer");
    const project = await user.json<{ id: string }>("/api/projects", { method: "POST", json: { name: "lead budget" } }, 201);
    const session = await user.json<{ id: string }>(`/api/projects/${project.id}/sessions`, { method: "POST", json: { kind: "tech-lead" } }, 201);
    await user.json(`/api/projects/${project.id}`, { method: "PATCH", json: { techLead: { model: "scripted", script: [{ text: "first answer" }, { text: "second answer" }] } } });
    const history = async () => (await user.json<{ messages: ChatMessage[] }>(`/api/projects/${project.id}/sessions/${session.id}/messages`)).messages;
    const waitForCount = (n: number) => pollUntil(`${n} messages in the session`, history, (messages) => messages.length >= n, { timeoutMs: 5_000, show: showMessages });
    await user.json(`/api/projects/${project.id}/sessions/${session.id}/messages`, { method: "POST", json: { text: "hello" } }, 201);
    expect((await waitForCount(2))[1]?.text).toBe("first answer");
    await settled(user);
    const usage = await user.json<{ totals: { calls: number; inputTokens: number } }>("/api/usage?groupBy=project");
    expect(usage.totals.calls).toBe(1);
    expect(usage.totals.inputTokens).toBeGreaterThan(0);
    // With no input tokens left for today, the next turn is refused before any model call.
    await user.json("/api/me/budgets", { method: "PUT", json: { dailyInputTokens: 1 } });
    await user.json(`/api/projects/${project.id}/sessions/${session.id}/messages`, { method: "POST", json: { text: "again" } }, 201);
    const after = await waitForCount(4);
    expect(after[3]?.role).toBe("system");
    expect(after[3]?.text).toContain("The tech lead could not answer");
    expect(after[3]?.text).toMatch(/budget/i);
    expect((await user.json<{ totals: { calls: number } }>("/api/usage?groupBy=project")).totals.calls).toBe(1);
  });
});
