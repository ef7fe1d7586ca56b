/**
 * A local fake OpenAI-compatible server for tests and benchmarks (the model is the one thing
 * that cannot run here). It honours the Chat Completions contract for non-streaming calls:
 * `POST <any prefix>/chat/completions` → a `chat.completion` object with `choices[0].message`
 * (content and/or `tool_calls`), `finish_reason` and `usage`; `GET <prefix>/models` lists models.
 *
 * Like the `scripted` model, it answers step N of its script where N is the number of assistant
 * messages in the request. Control over HTTP (so tests inside workerd can drive it too):
 *   PUT  /__control/script   {steps: [{text} | {toolCalls: [{name, arguments: object}]} | {error: {status, message}}], model?}
 *        (with `model`, the script answers only requests for that model, so test files running at
 *        once do not share a script)
 *   GET  /__control/requests → {requests: [{path, headers, body}]}
 *   POST /__control/reset
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted reply: text, tool calls, or an upstream error (OpenAI's error object with that status). */
export type FakeStep =
  | { text: string }
  | { toolCalls: { name: string; arguments: Record<string, unknown> }[] }
  | { error: { status: number; message: string } };

/** A request the fake received. Header names are lower case. */
export interface RecordedRequest {
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A running fake server. */
export interface FakeOpenAI {
  /** Base URL without the /v1 suffix, e.g. http://127.0.0.1:43123 */
  url: string;
  requests: RecordedRequest[];
  setScript(steps: FakeStep[]): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function countAssistantMessages(body: unknown): number {
  if (typeof body !== "object" || body === null || !("messages" in body) || !Array.isArray(body.messages)) return 0;
  return body.messages.filter((m: unknown) => typeof m === "object" && m !== null && "role" in m && m.role === "assistant").length;
}

/** Starts the fake on 127.0.0.1 (`port` 0 picks a free one). */
export async function startFakeOpenAI(port = 0): Promise<FakeOpenAI> {
  let script: FakeStep[] = [{ text: "hello from the fake model" }];
  const scriptsByModel = new Map<string, FakeStep[]>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const raw = await readBody(req);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === "/__control/script" && req.method === "PUT") {
      const control = JSON.parse(raw) as { steps: FakeStep[]; model?: string };
      if (control.model) scriptsByModel.set(control.model, control.steps);
      else script = control.steps;
      return send(200, { ok: true });
    }
    if (path === "/__control/requests") return send(200, { requests });
    if (path === "/__control/reset") {
      requests.length = 0;
      return send(200, { ok: true });
    }
    let body: unknown = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      return send(400, { error: { message: "invalid JSON", type: "invalid_request_error" } });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
    requests.push({ path, headers, body });
    if (path.endsWith("/models")) return send(200, { object: "list", data: [{ id: "fake-model", object: "model", owned_by: "fake" }] });
    if (!path.endsWith("/chat/completions")) return send(404, { error: { message: `no route ${path}`, type: "invalid_request_error" } });
    const index = countAssistantMessages(body);
    const model = typeof body === "object" && body !== null && "model" in body ? String(body.model) : "fake-model";
    const step = (scriptsByModel.get(model) ?? script)[index] ?? { text: "script finished" };
    if ("error" in step) return send(step.error.status, { error: { message: step.error.message, type: "invalid_request_error", code: null } });
    const message =
      "text" in step
        ? { role: "assistant", content: step.text }
        : {
            role: "assistant",
            content: null,
            tool_calls: step.toolCalls.map((call, i) => ({
              id: `call_fake_${index}_${i}`,
              type: "function",
              function: { name: call.name, arguments: JSON.stringify(call.arguments) },
            })),
          };
    send(200, {
      id: `chatcmpl-fake-${requests.length}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message, finish_reason: "text" in step ? "stop" : "tool_calls" }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    setScript(steps) {
      script = steps;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
