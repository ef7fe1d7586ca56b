/**
 * The OpenAI-compatible AI proxy, so any external agent or harness can use SAM as its model
 * endpoint: `POST /ai/v1/chat/completions` (streaming or not, tools, `stream_options`) and
 * `GET /ai/v1/models` (the models this caller may use). Authenticated with the caller's API
 * token. Every call goes through the gate (payer mode, budgets, usage): an exhausted budget is
 * a 429 `budget_exceeded`; an unknown or not allowed model a 400 naming it; upstream errors come
 * back as OpenAI-style error objects with the upstream's status.
 *
 * Usage is recorded in the ledger just after the answer (its reservation holds the call's
 * estimate against the budgets until then).
 *
 * Requests are forwarded as they are (only `model` is rewritten to the upstream's name, and
 * streams always ask for usage so it can be accounted); answers are passed through byte for
 * byte, except the final usage-only chunk of a stream whose caller did not ask for it.
 * An optional `x-sam-project-id` header attributes calls to a project the caller belongs to
 * (its payer-mode override applies).
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import { projectIdSchema } from "../../ids.ts";
import { EncryptionUnavailableError } from "../../models/credentials.ts";
import { catalogProvider, offeredModels } from "../../models/catalog-listing.ts";
import { estimateUsage } from "../../models/estimate.ts";
import { BudgetExceededError, beginGatedCall, PayerModeError, type GateContext, type GatedCall } from "../../models/gate.ts";
import { userAgentStub } from "../../models/user-actor.ts";
import { ModelUnavailableError, upstreamFor } from "../../models/registry.ts";
import { canAccessProject } from "../access.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";

/** Header naming the project a proxy call is for (optional). */
export const PROJECT_HEADER = "x-sam-project-id";

/** The parts of a Chat Completions request the proxy reads; everything else is forwarded as is. */
const chatRequestSchema = z.looseObject({
  model: z.string().min(1).max(200),
  messages: z.array(z.looseObject({ role: z.string().min(1) })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
});

/** OpenAI's usage object (the fields SAM accounts). */
const usageSchema = z.object({
  prompt_tokens: z.number().int().nonnegative().optional(),
  completion_tokens: z.number().int().nonnegative().optional(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative().nullish() }).nullish(),
});

type Tokens = { inputTokens: number; outputTokens: number; cachedInputTokens: number };
const NO_TOKENS: Tokens = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };

function tokensOf(usage: unknown): Tokens | null {
  const parsed = usageSchema.safeParse(usage);
  if (!parsed.success) return null;
  return {
    inputTokens: parsed.data.prompt_tokens ?? 0,
    outputTokens: parsed.data.completion_tokens ?? 0,
    cachedInputTokens: parsed.data.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

/** An OpenAI-style error object (which also is SAM's `{"error":{"code","message"}}`). */
function proxyError(status: number, code: string, message: string): Response {
  return Response.json({ error: { message, type: code, param: null, code } }, { status });
}

/** Replaces every occurrence of `secret` in `text` (upstreams may echo a key in an error). */
function redact(text: string, secret: string | null): string {
  return secret ? text.split(secret).join("[redacted]") : text;
}

/** Routes under /ai/v1. */
export const proxyRoutes = new Hono<AuthedEnv>();

/** The project of the call: the `x-sam-project-id` header, checked against membership. */
async function projectOf(c: Context<AuthedEnv>): Promise<{ ok: true; projectId: string | null } | { ok: false; response: Response }> {
  const header = c.req.header(PROJECT_HEADER);
  if (!header) return { ok: true, projectId: null };
  const parsed = projectIdSchema.safeParse(header);
  if (!parsed.success || !(await canAccessProject(c.env, c.get("user").id, parsed.data))) {
    return { ok: false, response: proxyError(404, "not_found", `no such project "${header}" (${PROJECT_HEADER})`) };
  }
  return { ok: true, projectId: parsed.data };
}

proxyRoutes.get("/ai/v1/models", requireUser, async (c) => {
  const project = await projectOf(c);
  if (!project.ok) return project.response;
  const gateway = Boolean(c.env.AI_GATEWAY_BASE_URL || (c.env.CF_ACCOUNT_ID && c.env.AI_GATEWAY_ID));
  const actor = await userAgentStub(c.env, c.get("user").id);
  const access = await actor.modelAccess(project.projectId);
  const allowed = (await offeredModels(c.env)).filter((m) => {
    switch (m.provider) {
      case "scripted":
        return false;
      case "compat":
        return true;
      case "workers-ai":
        return access.payerMode === "platform" && gateway && Boolean(c.env.AI_GATEWAY_TOKEN);
      case "openai":
      case "anthropic":
        if (!gateway) return false;
        return access.payerMode === "own-key" ? access.credentialProviders.includes(m.provider) : m.platformOffered && Boolean(c.env.AI_GATEWAY_TOKEN);
    }
  });
  return c.json({
    object: "list",
    data: allowed.map((m) => ({
      id: m.id,
      object: "model",
      created: 0,
      owned_by: m.provider,
      name: m.label,
      context_window: m.contextWindow || null,
      pricing: { input_per_mtok_usd: m.inputPerMTokUsd, output_per_mtok_usd: m.outputPerMTokUsd, cached_input_per_mtok_usd: m.cachedInputPerMTokUsd ?? null },
    })),
  });
});

proxyRoutes.post("/ai/v1/chat/completions", requireUser, async (c) => {
  const raw = await c.req.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return proxyError(400, "invalid_json", "the request body is not valid JSON");
  }
  const parsed = chatRequestSchema.safeParse(json);
  if (!parsed.success) return proxyError(400, "invalid_input", z.prettifyError(parsed.error));
  const request = parsed.data;
  const project = await projectOf(c);
  if (!project.ok) return project.response;
  const user = c.get("user");
  const context: GateContext = { userId: user.id, projectId: project.projectId };

  let provider;
  try {
    provider = await catalogProvider(c.env, request.model);
  } catch (error) {
    if (error instanceof ModelUnavailableError) return proxyError(400, "model_not_found", error.message);
    throw error;
  }
  if (provider === "scripted") return proxyError(400, "model_not_found", `model "${request.model}" replays a task's script and is not available through the proxy`);

  let call: GatedCall;
  try {
    call = await beginGatedCall(c.env, context, request.model, estimateUsage(c.env, request.model, raw.length, request.max_completion_tokens ?? request.max_tokens), "proxy");
  } catch (error) {
    if (error instanceof BudgetExceededError) return proxyError(429, "budget_exceeded", error.message);
    if (error instanceof PayerModeError) return proxyError(400, error.code, error.message);
    if (error instanceof EncryptionUnavailableError) return proxyError(503, error.code, error.message);
    if (error instanceof ModelUnavailableError) return proxyError(400, "model_not_found", error.message);
    throw error;
  }
  const key = call.auth.apiKey;
  const started = Date.now();
  const finish = (tokens: Tokens, status: "ok" | "upstream_error" | "failed" | "aborted", httpStatus: number | null = null) =>
    call.settle({ ...tokens, status, httpStatus, latencyMs: Date.now() - started });

  let target;
  try {
    target = upstreamFor(request.model, c.env, context, call.auth);
  } catch (error) {
    await finish(NO_TOKENS, "failed");
    if (error instanceof ModelUnavailableError) return proxyError(400, "model_not_found", redact(error.message, key));
    throw error;
  }

  const wantsUsage = request.stream_options?.include_usage === true;
  const body: Record<string, unknown> = { ...request, model: target.model };
  // Always ask for usage on streams: it is what the call is accounted by.
  if (request.stream) body.stream_options = { ...(request.stream_options ?? {}), include_usage: true };

  let upstream: Response;
  try {
    upstream = await fetch(`${target.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...target.headers },
      body: JSON.stringify(body),
      signal: c.req.raw.signal,
    });
  } catch (error) {
    await finish(NO_TOKENS, c.req.raw.signal.aborted ? "aborted" : "failed");
    return proxyError(502, "upstream_unavailable", `the upstream of "${request.model}" could not be reached (${error instanceof Error ? error.name : "error"})`);
  }

  if (!upstream.ok) {
    const text = redact(await upstream.text(), key);
    c.executionCtx.waitUntil(finish(NO_TOKENS, "upstream_error", upstream.status));
    let errorBody: unknown = null;
    try {
      errorBody = JSON.parse(text);
    } catch {
      // not JSON: wrapped below
    }
    if (typeof errorBody === "object" && errorBody !== null && "error" in errorBody) {
      return new Response(text, { status: upstream.status, headers: { "content-type": "application/json" } });
    }
    return proxyError(upstream.status, "upstream_error", `the upstream of "${request.model}" answered HTTP ${upstream.status}`);
  }

  if (!request.stream || !upstream.body) {
    const text = await upstream.text();
    let tokens = NO_TOKENS;
    try {
      tokens = tokensOf((JSON.parse(text) as { usage?: unknown }).usage) ?? NO_TOKENS;
    } catch {
      // an unreadable answer is passed on; it is accounted with no tokens
    }
    // Recorded right after the answer: until then the call's reservation counts against budgets.
    c.executionCtx.waitUntil(finish(tokens, "ok"));
    return new Response(text, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
  }

  const relay = relayStream(upstream.body, wantsUsage, (tokens, aborted) => c.executionCtx.waitUntil(finish(tokens, aborted ? "aborted" : "ok")));
  return new Response(relay, {
    status: upstream.status,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
  });
});

const USAGE_PATTERN = /"usage"\s*:\s*\{/;

/**
 * Relays an upstream SSE stream to the caller event by event, reading the usage the upstream
 * reports; drops the usage-only final chunk when the caller did not ask for usage. Calls `done`
 * once, with the usage seen, when the stream ends or the caller goes away (`aborted`).
 */
function relayStream(
  source: ReadableStream<Uint8Array>,
  wantsUsage: boolean,
  done: (tokens: Tokens, aborted: boolean) => void,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let buffer = "";
  let tokens: Tokens = NO_TOKENS;
  let finished = false;
  const end = (aborted: boolean) => {
    if (finished) return;
    finished = true;
    done(tokens, aborted);
  };
  /** Returns the text to forward for one complete event (with its blank line), or "" to drop it. */
  const handle = (event: string): string => {
    if (!USAGE_PATTERN.test(event)) return event;
    const data = event
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trimStart())
      .join("\n");
    try {
      const chunk = JSON.parse(data) as { usage?: unknown; choices?: unknown[] };
      tokens = tokensOf(chunk.usage) ?? tokens;
      if (!wantsUsage && Array.isArray(chunk.choices) && chunk.choices.length === 0) return "";
    } catch {
      // not JSON: forward as is
    }
    return event;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          end(true);
          controller.error(error);
          return;
        }
        if (result.done) {
          buffer += decoder.decode();
          if (buffer) controller.enqueue(encoder.encode(handle(buffer)));
          end(false);
          controller.close();
          return;
        }
        buffer += decoder.decode(result.value, { stream: true }).replace(/\r\n/g, "\n");
        let out = "";
        for (let cut = buffer.indexOf("\n\n"); cut !== -1; cut = buffer.indexOf("\n\n")) {
          out += handle(buffer.slice(0, cut + 2));
          buffer = buffer.slice(cut + 2);
        }
        if (out) {
          controller.enqueue(encoder.encode(out));
          return;
        }
      }
    },
    async cancel(reason) {
      end(true);
      await reader.cancel(reason);
    },
  });
}
