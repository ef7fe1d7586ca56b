/**
 * Benchmark 3, AI proxy overhead: the same requests sent directly to a local fake
 * OpenAI-compatible upstream (`test/support/fake-openai.ts`, in this process, request log off)
 * and through SAM's proxy (`POST /ai/v1/chat/completions` over wrangler dev, model
 * `compat/fake-model` routed to the same fake), side by side.
 *
 * Through the proxy every request is authenticated (token hash lookup in D1), admitted by the
 * gate (payer mode and budgets in the user's `UserAgent`, a reservation), forwarded, and its
 * usage recorded in the ledger before the answer completes — the full path, nothing skipped.
 *
 * Method: one client (Node's fetch), one request at a time. N non-streaming requests, then N
 * streaming ones with `stream_options.include_usage`; within each kind, direct and proxied
 * requests alternate (direct, proxy, direct, ...) so that drift on a shared machine hits both
 * alike. W warm-up requests of each side are excluded. Latency is from just before `fetch` to
 * the last byte of the body, ms. Time to first token (streams) is from just before `fetch` to
 * the first body chunk that carries a content delta, ms. Added latency = proxy − direct at the
 * same percentile. For scale, N `GET /api/health` requests (no auth, no work) measure the floor
 * every request to the local stack pays under wrangler dev, and a third side sends the same
 * requests through the runtime floor (`floor.ts`: a Worker under wrangler dev that only
 * forwards them to the same upstream): what any Worker proxy costs here before SAM's own work.
 */
import { startFakeOpenAI, type FakeOpenAI } from "../../test/support/fake-openai.ts";
import type { Stack } from "../../test/e2e/stack.ts";
import { startFloorWorker } from "./floor.ts";
import { formatTable, round, summarize, type Row, type Summary } from "./stats.ts";

/** Fixed workload (counts). */
export interface ProxyBenchConfig {
  /** Measured requests per side and kind. */
  requests: number;
  /** Warm-up requests per side and kind (excluded). */
  warmup: number;
}

/** The workload: 500 requests per side and kind, 50 warm-up. */
export const DEFAULT_PROXY_CONFIG: ProxyBenchConfig = { requests: 500, warmup: 50 };

/** Latency summaries (ms) of one kind of request, each side. */
export interface ProxySide {
  direct: Summary;
  proxy: Summary;
  /** Through the runtime floor Worker (forwarding only). */
  floor: Summary;
}

/** The proxy benchmark's figures; all times in ms. */
export interface ProxyBenchResult {
  config: ProxyBenchConfig;
  nonStreaming: ProxySide;
  streaming: ProxySide;
  /** Time to first token of streams. */
  ttft: ProxySide;
  /**
   * `GET /api/health` (no auth, no work) through the same wrangler dev, ms: the floor any request
   * to the local stack pays (wrangler's dev proxy, a second workerd), not SAM's own cost.
   */
  floor: Summary;
  /** proxy − direct: p50 and p99 of non-streaming and streaming latency, ms. */
  addedMs: { nonStreamingP50: number; nonStreamingP99: number; streamingP50: number; streamingP99: number };
  /** floor − direct at p50: what a forwarding-only Worker under wrangler dev adds, ms. */
  floorAddedMs: { nonStreamingP50: number; streamingP50: number };
  /** proxy / direct of the median time to first token (dimensionless). */
  ttftRatio: number;
  /** Calls the ledger recorded for the measured and warm-up proxy requests (must equal them). */
  accountedCalls: number;
  rows: Row[];
}

const MESSAGES = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "Summarize the benefits of running agents at the edge in two sentences." },
];
const ANSWER = "Running agents at the edge keeps them close to users and data. Actors hold state so nothing is lost.";

/** One request; returns its latency and (streams) time to first token, ms. */
async function timed(url: string, token: string | null, model: string, stream: boolean): Promise<{ totalMs: number; ttftMs: number }> {
  const body = JSON.stringify({ model, messages: MESSAGES, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers, body });
  if (!response.ok || !response.body) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  let ttft = Number.NaN;
  let text = "";
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const piece = decoder.decode(value, { stream: true });
    // The first chunk with a non-empty content delta (the role chunk before it has "").
    if (stream && Number.isNaN(ttft) && /"content":"[^"]/.test(piece)) ttft = performance.now() - started;
    text += piece;
  }
  const totalMs = performance.now() - started;
  if (stream) {
    if (!text.includes("[DONE]")) throw new Error(`${url}: the stream did not end with [DONE]`);
  } else if (!text.includes(ANSWER.slice(0, 20))) {
    throw new Error(`${url}: unexpected answer ${text.slice(0, 200)}`);
  }
  return { totalMs, ttftMs: Number.isNaN(ttft) ? totalMs : ttft };
}

/**
 * Runs the proxy benchmark against `stack`, whose SAM_COMPAT_BASE_URL must point at
 * `fake.url + "/v1"` (the bench runner starts both).
 * @throws when a request fails or the ledger did not record every proxied call.
 */
export async function runProxyBench(stack: Stack, fake: FakeOpenAI, config: ProxyBenchConfig): Promise<ProxyBenchResult> {
  fake.setScript([{ text: ANSWER }]);
  const direct = `${fake.url}/v1/chat/completions`;
  const proxied = `${stack.url}/ai/v1/chat/completions`;
  const floorWorker = await startFloorWorker(`${fake.url}/v1`);
  const forwarded = `${floorWorker.url}/v1/chat/completions`;
  const before = await accounted(stack);
  const run = async (stream: boolean) => {
    for (let i = 0; i < config.warmup; i++) {
      await timed(direct, null, "fake-model", stream);
      await timed(proxied, stack.token, "compat/fake-model", stream);
      await timed(forwarded, null, "fake-model", stream);
    }
    const d: { totalMs: number; ttftMs: number }[] = [];
    const p: { totalMs: number; ttftMs: number }[] = [];
    const f: { totalMs: number; ttftMs: number }[] = [];
    for (let i = 0; i < config.requests; i++) {
      d.push(await timed(direct, null, "fake-model", stream));
      p.push(await timed(proxied, stack.token, "compat/fake-model", stream));
      f.push(await timed(forwarded, null, "fake-model", stream));
    }
    return { d, p, f };
  };
  let plain: Awaited<ReturnType<typeof run>>;
  let streams: Awaited<ReturnType<typeof run>>;
  try {
    plain = await run(false);
    streams = await run(true);
  } finally {
    await floorWorker.stop();
  }
  const floorSamples: number[] = [];
  for (let i = 0; i < config.warmup + config.requests; i++) {
    const started = performance.now();
    const response = await fetch(`${stack.url}/api/health`);
    await response.text();
    if (i >= config.warmup) floorSamples.push(performance.now() - started);
  }
  const floor = summarize(floorSamples);
  // Usage is recorded just after each answer; give the last ones a moment.
  let accountedCalls = (await accounted(stack)) - before;
  for (let i = 0; i < 50 && accountedCalls < 2 * (config.requests + config.warmup); i++) {
    await new Promise((r) => setTimeout(r, 20));
    accountedCalls = (await accounted(stack)) - before;
  }
  const expected = 2 * (config.requests + config.warmup);
  if (accountedCalls !== expected) throw new Error(`the ledger recorded ${accountedCalls} proxied calls, expected ${expected}`);

  const side = (runs: Awaited<ReturnType<typeof run>>, pick: (r: { totalMs: number; ttftMs: number }) => number): ProxySide => ({
    direct: summarize(runs.d.map(pick)),
    proxy: summarize(runs.p.map(pick)),
    floor: summarize(runs.f.map(pick)),
  });
  const nonStreaming = side(plain, (r) => r.totalMs);
  const streaming = side(streams, (r) => r.totalMs);
  const ttft = side(streams, (r) => r.ttftMs);
  const addedMs = {
    nonStreamingP50: round(nonStreaming.proxy.p50 - nonStreaming.direct.p50, 3),
    nonStreamingP99: round(nonStreaming.proxy.p99 - nonStreaming.direct.p99, 3),
    streamingP50: round(streaming.proxy.p50 - streaming.direct.p50, 3),
    streamingP99: round(streaming.proxy.p99 - streaming.direct.p99, 3),
  };
  const floorAddedMs = {
    nonStreamingP50: round(nonStreaming.floor.p50 - nonStreaming.direct.p50, 3),
    streamingP50: round(streaming.floor.p50 - streaming.direct.p50, 3),
  };
  const ttftRatio = round(ttft.proxy.p50 / ttft.direct.p50, 2);
  const r3 = (n: number) => round(n, 3);
  const rows: Row[] = [
    { metric: "non-streaming latency p50 (ms)", sam: r3(nonStreaming.proxy.p50), baseline: r3(nonStreaming.direct.p50), ratio: round(nonStreaming.proxy.p50 / nonStreaming.direct.p50, 2), goal: "", met: null },
    { metric: "  added by the proxy, p50 (ms)", sam: addedMs.nonStreamingP50, baseline: "", ratio: "", goal: "< 2 ms", met: addedMs.nonStreamingP50 < 2 },
    { metric: "non-streaming latency p99 (ms)", sam: r3(nonStreaming.proxy.p99), baseline: r3(nonStreaming.direct.p99), ratio: round(nonStreaming.proxy.p99 / nonStreaming.direct.p99, 2), goal: "", met: null },
    { metric: "  added by the proxy, p99 (ms)", sam: addedMs.nonStreamingP99, baseline: "", ratio: "", goal: "", met: null },
    { metric: "streaming latency p50 (ms)", sam: r3(streaming.proxy.p50), baseline: r3(streaming.direct.p50), ratio: round(streaming.proxy.p50 / streaming.direct.p50, 2), goal: "", met: null },
    { metric: "  added by the proxy, p50 (ms)", sam: addedMs.streamingP50, baseline: "", ratio: "", goal: "< 2 ms", met: addedMs.streamingP50 < 2 },
    { metric: "streaming latency p99 (ms)", sam: r3(streaming.proxy.p99), baseline: r3(streaming.direct.p99), ratio: round(streaming.proxy.p99 / streaming.direct.p99, 2), goal: "", met: null },
    { metric: "  added by the proxy, p99 (ms)", sam: addedMs.streamingP99, baseline: "", ratio: "", goal: "", met: null },
    { metric: "time to first token p50 (ms)", sam: r3(ttft.proxy.p50), baseline: r3(ttft.direct.p50), ratio: ttftRatio, goal: "", met: null },
    { metric: "time to first token p99 (ms)", sam: r3(ttft.proxy.p99), baseline: r3(ttft.direct.p99), ratio: round(ttft.proxy.p99 / ttft.direct.p99, 2), goal: "", met: null },
    { metric: "floor: GET /api/health, no work, p50 (ms)", sam: r3(floor.p50), baseline: "", ratio: "", goal: "", met: null },
    { metric: "floor: GET /api/health, no work, p99 (ms)", sam: r3(floor.p99), baseline: "", ratio: "", goal: "", met: null },
    { metric: "runtime floor (forwarding Worker), non-streaming p50 (ms)", sam: r3(nonStreaming.floor.p50), baseline: r3(nonStreaming.direct.p50), ratio: round(nonStreaming.floor.p50 / nonStreaming.direct.p50, 2), goal: "", met: null },
    { metric: "  added by the floor alone, p50 (ms)", sam: floorAddedMs.nonStreamingP50, baseline: "", ratio: "", goal: "", met: null },
    { metric: "  added by SAM over the floor, p50 (ms)", sam: round(addedMs.nonStreamingP50 - floorAddedMs.nonStreamingP50, 3), baseline: "", ratio: "", goal: "", met: null },
    { metric: "runtime floor (forwarding Worker), streaming p50 (ms)", sam: r3(streaming.floor.p50), baseline: r3(streaming.direct.p50), ratio: round(streaming.floor.p50 / streaming.direct.p50, 2), goal: "", met: null },
    { metric: "  added by the floor alone, p50 (ms)", sam: floorAddedMs.streamingP50, baseline: "", ratio: "", goal: "", met: null },
    { metric: "  added by SAM over the floor, p50 (ms)", sam: round(addedMs.streamingP50 - floorAddedMs.streamingP50, 3), baseline: "", ratio: "", goal: "", met: null },
    { metric: "proxied calls in the usage ledger", sam: accountedCalls, baseline: "", ratio: "", goal: `= ${expected}`, met: accountedCalls === expected },
  ];
  return { config, nonStreaming, streaming, ttft, floor, addedMs, floorAddedMs, ttftRatio, accountedCalls, rows };
}

/** Calls of `compat/fake-model` in the local user's usage ledger. */
async function accounted(stack: Stack): Promise<number> {
  const response = await fetch(`${stack.url}/api/usage?groupBy=model`, { headers: { authorization: `Bearer ${stack.token}` } });
  const body = (await response.json()) as { groups: { key: string; calls: number }[] };
  return body.groups.find((g) => g.key === "compat/fake-model")?.calls ?? 0;
}

/** Starts the fake upstream the benchmark (and the stack) use; no request log. */
export function startBenchUpstream(): Promise<FakeOpenAI> {
  return startFakeOpenAI(0, { record: false });
}

/** The proxy benchmark's table as text. */
export function formatProxyTable(result: ProxyBenchResult): string {
  const c = result.config;
  return formatTable(`AI proxy overhead: ${c.requests} requests per kind and side, one at a time (+${c.warmup} warm-up); SAM = through the proxy, baseline = direct to the upstream`, result.rows);
}
