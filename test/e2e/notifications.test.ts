/**
 * Notifications end to end against the started stack (`npm start`): the local user sets an
 * outgoing webhook to a local HTTP server (a stand-in for Slack's incoming webhooks), runs a
 * scripted task to success, and the server receives the Slack-compatible `{text}` naming the
 * task, with an absolute link back to it; the notification is also in the user's list.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { pollUntil } from "../support/poll.ts";
import { call, startStack, waitForTaskEnd, type Stack } from "./stack.ts";

let stack: Stack | undefined;
let server: Server | undefined;

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

/** A local webhook receiver: records every POST's content type and body, answers 200. */
async function startReceiver(): Promise<{ url: string; received: { contentType: string | undefined; body: string }[] }> {
  const received: { contentType: string | undefined; body: string }[] = [];
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ contentType: req.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") });
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/hook`, received };
}

describe("notifications against the started stack", () => {
  it("a task's success reaches the user's outgoing webhook as {text} naming the task", async () => {
    const receiver = await startReceiver();
    stack = await startStack();
    expect(stack.output()).toMatch(/VAPID keys/);
    expect(await call<{ publicKey: string | null }>(stack, "/api/push/vapid-public-key")).toEqual({ publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{87}$/) });
    await call(stack, "/api/me/notification-settings", { method: "PUT", json: { push: { kinds: [] }, webhook: { url: receiver.url, kinds: ["task.succeeded"] } } });

    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "notify e2e" } });
    const task = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, { json: { prompt: "Tidy the changelog", script: [{ text: "Tidied it." }] } });
    expect((await waitForTaskEnd(stack, task.id)).status).toBe("succeeded");

    const [hook] = await pollUntil("the webhook to receive the notification", () => receiver.received, (r) => r.length > 0, { timeoutMs: 20_000 });
    expect(hook.contentType).toBe("application/json");
    expect(JSON.parse(hook.body)).toEqual({ text: `Task "Tidy the changelog" succeeded\nTidied it.\n${stack.url}/tasks/${task.id}` });
    const { notifications } = await call<{ notifications: { kind: string; subjectId: string }[] }>(stack, "/api/notifications?unread=1");
    expect(notifications.map((n) => [n.kind, n.subjectId])).toContainEqual(["task.succeeded", task.id]);
  });
});
