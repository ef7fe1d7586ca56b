/**
 * A local fake OpenAI-compatible server (and AI Gateway stand-in) for tests and benchmarks: the
 * model is the one thing that cannot run here. It honours the Chat Completions contract:
 * `POST <any prefix>/chat/completions` answers a `chat.completion` object with
 * `choices[0].message` (content and/or `tool_calls`), `finish_reason` and `usage`
 * (`prompt_tokens`, `completion_tokens`, `total_tokens`, `prompt_tokens_details.cached_tokens`);
 * with `stream: true` it answers server-sent `chat.completion.chunk` events (role, content
 * deltas, tool-call deltas, the finish reason) ending in `data: [DONE]`, and with
 * `stream_options.include_usage` every chunk carries `usage: null` and a final chunk with empty
 * `choices` carries the usage, as OpenAI does. Errors are OpenAI error objects with the status.
 * `GET <prefix>/models` lists models; `GET <prefix>/anthropic/v1/models` is Anthropic's list.
 *
 * Keys: a bearer key (or Anthropic `x-api-key`) containing "invalid" is refused with 401 and an
 * error message that echoes the key (worse than OpenAI, which masks it) so tests can prove
 * SAM never passes a key on.
 *
 * Like the `scripted` model, it answers step N of a script where N is the number of assistant
 * messages in the request. The script is the default one, or the one registered under KEY when
 * the request's messages contain the marker `[script:KEY]` (so concurrent tests do not collide).
 * Control over HTTP (so tests inside workerd can drive it too):
 *   PUT  /__control/script   {steps: FakeStep[], key?: string}
 *   GET  /__control/requests → {requests: [{path, method, headers, body, aborted?}]}
 *   POST /__control/reset
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Token counts a step reports (defaults: 12 prompt, 5 completion, 0 cached). */
export interface FakeUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  cached_tokens?: number;
}

/**
 * One scripted reply: text, tool calls, or an upstream error (OpenAI's error object with that
 * status). A streamed text step with `delayMs` sends its first delta, then waits that long (or
 * until the client goes away, which marks the request `aborted`) before the rest.
 */
export type FakeStep =
  | { text: string; usage?: FakeUsage; delayMs?: number }
  | { toolCalls: { name: string; arguments: Record<string, unknown> }[]; usage?: FakeUsage }
  | { error: { status: number; message: string; type?: string; code?: string | null } };

/** A request the fake received. Header names are lower case. */
export interface RecordedRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  /** Set when the client closed the connection before a delayed answer was complete. */
  aborted?: boolean;
}

/** A running fake server. */
export interface FakeOpenAI {
  /** Base URL without the /v1 suffix, e.g. http://127.0.0.1:43123 */
  url: string;
  requests: RecordedRequest[];
  /** Sets the default script, or the one used by requests marked `[script:key]`. */
  setScript(steps: FakeStep[], key?: string): void;
  close(): Promise<void>;
}

/** Options: `record: false` keeps no request log (benchmarks). */
export interface FakeOptions {
  record?: boolean;
}

/** Model names the fake's `/models` lists. */
export const FAKE_MODELS = ["fake-model", "fake-model-2"];

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

type ChatBody = {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
};

function countAssistantMessages(body: ChatBody): number {
  if (!Array.isArray(body.messages)) return 0;
  return body.messages.filter((m: unknown) => typeof m === "object" && m !== null && "role" in m && m.role === "assistant").length;
}

function scriptKey(body: ChatBody): string | null {
  const match = /\[script:([\w-]+)\]/.exec(JSON.stringify(body.messages ?? ""));
  return match ? match[1] : null;
}

function usageOf(step: { usage?: FakeUsage }) {
  const prompt = step.usage?.prompt_tokens ?? 12;
  const completion = step.usage?.completion_tokens ?? 5;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: step.usage?.cached_tokens ?? 0 },
  };
}

function bearer(headers: IncomingMessage["headers"]): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "");
  return match ? match[1] : null;
}

/** Starts the fake on 127.0.0.1 (`port` 0 picks a free one). */
export async function startFakeOpenAI(port = 0, options: FakeOptions = {}): Promise<FakeOpenAI> {
  const scripts = new Map<string, FakeStep[]>([["", [{ text: "hello from the fake model" }]]]);
  const requests: RecordedRequest[] = [];
  const record = options.record ?? true;
  let counter = 0;

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  const openAiError = (res: ServerResponse, status: number, message: string, type = "invalid_request_error", code: string | null = null) =>
    sendJson(res, status, { error: { message, type, param: null, code } });

  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const raw = await readBody(req);
    if (path === "/__control/script" && req.method === "PUT") {
      const control = JSON.parse(raw) as { steps: FakeStep[]; key?: string };
      scripts.set(control.key ?? "", control.steps);
      return sendJson(res, 200, { ok: true });
    }
    if (path === "/__control/requests") return sendJson(res, 200, { requests });
    if (path === "/__control/reset") {
      requests.length = 0;
      return sendJson(res, 200, { ok: true });
    }
    let body: ChatBody = {};
    let recorded: RecordedRequest | null = null;
    try {
      body = raw ? (JSON.parse(raw) as ChatBody) : {};
    } catch {
      return openAiError(res, 400, "invalid JSON");
    }
    if (record) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      recorded = { path, method: req.method ?? "GET", headers, body: raw ? body : null };
      requests.push(recorded);
    }

    if (path.endsWith("/anthropic/v1/models")) {
      const key = req.headers["x-api-key"];
      if (typeof key !== "string" || key.includes("invalid")) {
        return sendJson(res, 401, { type: "error", error: { type: "authentication_error", message: `invalid x-api-key ${String(key)}` } });
      }
      return sendJson(res, 200, { data: [{ id: "claude-haiku-4-5", type: "model" }], has_more: false });
    }
    const key = bearer(req.headers);
    if (key?.includes("invalid")) return openAiError(res, 401, `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`, "invalid_request_error", "invalid_api_key");
    if (path.endsWith("/models")) return sendJson(res, 200, { object: "list", data: FAKE_MODELS.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })) });
    if (!path.endsWith("/chat/completions") || req.method !== "POST") return openAiError(res, 404, `no route ${req.method} ${path}`);

    const script = scripts.get(scriptKey(body) ?? "") ?? scripts.get("")!;
    const index = countAssistantMessages(body);
    const step = script[index] ?? { text: "script finished" };
    if ("error" in step) return openAiError(res, step.error.status, step.error.message, step.error.type ?? "invalid_request_error", step.error.code ?? null);
    const model = typeof body.model === "string" ? body.model : "fake-model";
    const id = `chatcmpl-fake-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = usageOf(step);
    const toolCalls =
      "toolCalls" in step
        ? step.toolCalls.map((call, i) => ({ id: `call_fake_${index}_${i}`, type: "function", function: { name: call.name, arguments: JSON.stringify(call.arguments) } }))
        : null;
    const finishReason = toolCalls ? "tool_calls" : "stop";

    if (body.stream !== true) {
      const message = toolCalls ? { role: "assistant", content: null, tool_calls: toolCalls } : { role: "assistant", content: "text" in step ? step.text : "" };
      return sendJson(res, 200, { id, object: "chat.completion", created, model, choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }], usage });
    }

    const includeUsage = body.stream_options?.include_usage === true;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
    let out = chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);
    if (toolCalls) {
      toolCalls.forEach((call, i) => {
        out += chunk([{ index: 0, delta: { tool_calls: [{ index: i, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }, finish_reason: null }]);
        out += chunk([{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: call.function.arguments } }] }, finish_reason: null }]);
      });
    } else if ("text" in step) {
      // Two deltas, so clients have to join them.
      const half = Math.ceil(step.text.length / 2);
      for (const piece of [step.text.slice(0, half), step.text.slice(half)]) {
        if (piece) out += chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]);
      }
    }
    out += chunk([{ index: 0, delta: {}, finish_reason: finishReason }]);
    if (includeUsage) out += `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage })}\n\n`;
    out += "data: [DONE]\n\n";
    // The first event goes out on its own (time to first token), the rest together.
    const first = out.indexOf("\n\n") + 2;
    if ("text" in step && step.delayMs) {
      // The role chunk and the first delta, then the wait.
      const second = out.indexOf("\n\n", first) + 2;
      res.write(out.slice(0, second));
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), step.delayMs);
        res.once("close", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      if (closed) {
        if (recorded) recorded.aborted = true;
        return;
      }
      res.end(out.slice(second));
      return;
    }
    res.write(out.slice(0, first));
    res.end(out.slice(first));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    setScript(steps, key) {
      scripts.set(key ?? "", steps);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
