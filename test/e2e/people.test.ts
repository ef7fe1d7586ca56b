/**
 * People end to end, against the stack started as `npm start` starts it, with real clients:
 * two people chatting live through `partysocket`, a viewer refused on the socket, a member
 * removed mid-session, a personal access token made, used, revoked and refused, the device flow
 * with one client polling while another approves, and an embed token's socket with and without
 * an allowed Origin (the `ws` client, which can send one).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { connectProject, type ProjectClient } from "../../src/client/project-client.ts";
import type { ServerFrame } from "../../src/shared/protocol.ts";
import { pollUntil, waitUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** A project client that keeps every frame it receives and the close codes it saw. */
function client(projectId: string, token: string): { project: ProjectClient; frames: ServerFrame[]; closes: number[] } {
  const project = connectProject({ host: stack.host, projectId, token, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
  const frames: ServerFrame[] = [];
  const closes: number[] = [];
  project.onFrame((frame) => frames.push(frame));
  project.socket.addEventListener("close", (event: CloseEvent) => closes.push(event.code));
  return { project, frames, closes };
}

async function person(name: string): Promise<{ id: string; token: string }> {
  const made = await call<{ user: { id: string }; token: string }>(stack, "/api/admin/users", { json: { name } });
  return { id: made.user.id, token: made.token };
}

describe("people, end to end", () => {
  it("two people chat live in one project; a viewer is refused on the socket and hears on; a removed member is cut off", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "team" } });
    const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "general" } });
    const bob = await person("bob");
    const vic = await person("vic");
    await call(stack, `/api/projects/${project.id}/members`, { json: { userId: bob.id, role: "member" } });
    await call(stack, `/api/projects/${project.id}/members`, { json: { userId: vic.id, role: "viewer" } });

    const admin = client(project.id, stack.token);
    const bobs = client(project.id, bob.token);
    const vics = client(project.id, vic.token);
    await Promise.all([admin.project.opened(), bobs.project.opened(), vics.project.opened()]);

    await waitUntil("the admin to see three people online", () => admin.frames.some((f) => f.type === "presence" && f.users.length === 3), () => admin.frames.filter((f) => f.type === "presence"));
    bobs.project.sendChat(session.id, "hi from bob");
    await waitUntil("the admin to hear bob", () => admin.frames.some((f) => f.type === "chat.message" && f.message.text === "hi from bob" && f.message.author.name === "bob"), () => admin.frames.map((f) => f.type));
    admin.project.sendChat(session.id, "hi bob, from local");
    await waitUntil("bob to hear the admin", () => bobs.frames.some((f) => f.type === "chat.message" && f.message.text === "hi bob, from local" && f.message.author.name === "local"), () => bobs.frames.map((f) => f.type));

    vics.project.sendChat(session.id, "a viewer tries");
    await waitUntil("vic's forbidden error", () => vics.frames.some((f) => f.type === "error" && f.code === "forbidden"), () => vics.frames);
    await waitUntil("vic to hear bob and the admin", () => vics.frames.filter((f) => f.type === "chat.message").length >= 2, () => vics.frames.map((f) => f.type));

    await call(stack, `/api/projects/${project.id}/members/${bob.id}`, { method: "DELETE" }, [204]);
    await waitUntil("bob's socket to be closed for an access change", () => bobs.closes.includes(4003), () => bobs.closes);
    bobs.project.close();
    const history = await call<{ messages: { text: string; author: { name: string } }[] }>(stack, `/api/projects/${project.id}/sessions/${session.id}/messages`);
    expect(history.messages.map((m) => [m.author.name, m.text])).toEqual([["bob", "hi from bob"], ["local", "hi bob, from local"]]);
    expect((await fetch(`${stack.url}/api/projects/${project.id}`, { headers: { authorization: `Bearer ${bob.token}` } })).status).toBe(404);
    admin.project.close();
    vics.project.close();
  });

  it("a personal access token is made, used, revoked, and then refused", async () => {
    const made = await call<{ id: string; token: string }>(stack, "/api/tokens", { json: { name: "script" } });
    const me = await call<{ user: { name: string } }>(stack, "/api/me", { token: made.token });
    expect(me.user.name).toBe("local");
    await call(stack, `/api/tokens/${made.id}`, { method: "DELETE" }, [204]);
    expect((await fetch(`${stack.url}/api/me`, { headers: { authorization: `Bearer ${made.token}` } })).status).toBe(401);
  });

  it("the device flow: a client polls as RFC 8628 says while a signed-in person approves", async () => {
    const pair = (await (await fetch(`${stack.url}/api/auth/device/code`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_id: "sam-cli" }) })).json()) as {
      device_code: string;
      user_code: string;
      interval: number;
      verification_uri_complete: string;
    };
    expect(pair.verification_uri_complete).toBe(`${stack.url}/device?user_code=${pair.user_code}`);
    const seen: string[] = [];
    // The device: polls every `interval` s (more after slow_down) until it gets a token.
    const device = (async () => {
      let interval = pair.interval;
      for (;;) {
        const response = await fetch(`${stack.url}/api/auth/device/token`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: pair.device_code, client_id: "sam-cli" }).toString(),
        });
        const body = (await response.json()) as { error?: string; access_token?: string };
        seen.push(body.error ?? "token");
        if (body.access_token) return body.access_token;
        if (body.error === "slow_down") interval += 5;
        else if (body.error !== "authorization_pending") throw new Error(`device flow ended: ${body.error}`);
        await new Promise((resolve) => setTimeout(resolve, interval * 1000)); // the protocol's own wait between polls
      }
    })();
    await pollUntil("the device's first poll", async () => seen.length, (n) => n >= 1);
    await call(stack, "/api/auth/device/approve", { json: { user_code: pair.user_code } });
    const token = await device;
    expect(seen[0]).toBe("authorization_pending");
    expect(seen.at(-1)).toBe("token");
    expect(seen).not.toContain("slow_down");
    expect((await call<{ user: { name: string } }>(stack, "/api/me", { token })).user.name).toBe("local");
  }, 30_000);

  it("an embed token's socket opens from an allowed origin only", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "embedded" } });
    const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: {} });
    const embed = await call<{ token: string }>(stack, `/api/projects/${project.id}/embed-tokens`, {
      json: { name: "Visitor", capabilities: ["chat:read", "chat:write"], sessionId: session.id, origins: ["https://app.example"], expiresInMinutes: 10 },
    });
    const url = `ws://${stack.host}/agents/project-agent/${project.id}?token=${embed.token}`;
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { origin: "https://evil.example" });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
    });
    expect(refused).toBe(403);
    const ws = new WebSocket(url, { origin: "https://app.example" });
    const frames: ServerFrame[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(String(data)) as ServerFrame));
    await new Promise<void>((resolve, reject) => {
      ws.on("open", () => resolve());
      ws.on("error", reject);
    });
    ws.send(JSON.stringify({ type: "chat.send", sessionId: session.id, text: "hello from the app" }));
    await waitUntil("the visitor's own message back", () => frames.some((f) => f.type === "chat.message" && f.message.text === "hello from the app" && f.message.author.name === "Visitor"), () => frames);
    ws.close();
  });
});
