/**
 * Benchmark 1, chat fan-out: N clients on one project session, M chat messages sent by S of
 * them, every message delivered to every client. Run against SAM (ProjectAgent over wrangler
 * dev, each message stored in SQLite with its seq) and against a bare Node `ws` broadcast
 * server (`bare-server.ts`, no persistence, in its own process) with the same client code
 * (`connectProject`: partysocket) and the same sending pattern.
 *
 * Pacing: closed loop. Each sender has exactly one message in flight: it sends its next
 * message when its previous one has come back to it as a `chat.message` frame. So at most S
 * messages are in flight, and the latencies measure steady-state delivery, not a queue that
 * grows without bound. Throughput is therefore latency-bound: about S / round-trip time.
 *
 * Latency: each message's text embeds the sender, a counter and the sender's
 * `performance.now()` at send; a receiver's latency sample is its `performance.now()` when the
 * frame reaches its `onFrame` handler minus that. All clients live in this process, so the
 * clocks agree. There is one sample per (message, client), the sender's own echo included.
 *
 * Runs (each with its own warm-up; every client of a run is the same code and WebSocket):
 * - `sam` vs `bare`: the goals. Clients use Node's built-in WebSocket, which (like browsers)
 *   offers permessage-deflate; workerd accepts it, `ws` by default does not.
 * - `bare-deflate`: the bare server accepting permessage-deflate on every frame, as workerd
 *   does: the same wire format as `sam`, to show what compression costs by itself.
 * - `sam-ws` vs `bare-ws`: clients on the `ws` package that decline permessage-deflate, so
 *   neither side compresses: what remains is the platform's own overhead.
 * - `floor` and `floor-ws`: the runtime floor (`floor.ts`), a Durable Object that only
 *   broadcasts, under wrangler dev as `npm start` runs SAM: what wrangler dev and workerd cost
 *   before SAM does anything (no auth, no persistence), with each kind of client.
 *
 * Warm-up: W messages go to a separate warm-up session first and are excluded from all figures,
 * so the measured session holds exactly M messages (seq 1..M) for the persistence check, which
 * runs on both SAM runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import WS from "ws";
import type { ChatMessage } from "../../src/shared/protocol.ts";
import { connectProject, type ProjectClient } from "../../src/client/project-client.ts";
import { newId } from "../../src/ids.ts";
import { call, type Stack } from "../../test/e2e/stack.ts";
import { PORT_LINE_PREFIX } from "./bare-server.ts";
import { startFloorWorker } from "./floor.ts";
import { cpuBetween, snapshotCpu, type CpuUsage } from "./proc-cpu.ts";
import { formatTable, round, sleep, summarize, withTimeout, type Row, type Summary } from "./stats.ts";

/** Fixed workload of the benchmark (counts; times in ms). */
export interface ChatConfig {
  /** Connected clients, all receiving every message. */
  clients: number;
  /** How many of the clients send; must divide `messages` and `warmupMessages`. */
  senders: number;
  /** Measured messages (all persisted in the measured session). */
  messages: number;
  /** Warm-up messages (separate session; excluded from the figures). */
  warmupMessages: number;
  /** Upper bound on one phase (warm-up or measured), in ms. */
  phaseTimeoutMs: number;
}

/** The issue's workload: 50 clients, 10 senders, 2,000 messages (+200 warm-up), at most 60 s per phase. */
export const DEFAULT_CHAT_CONFIG: ChatConfig = { clients: 50, senders: 10, messages: 2000, warmupMessages: 200, phaseTimeoutMs: 60_000 };

/** The runs of the benchmark (see the module header). */
export type ChatRunName = "sam" | "bare" | "bare-deflate" | "sam-ws" | "bare-ws" | "floor" | "floor-ws";

/** Which client WebSocket a run uses: Node's built-in one, or `ws` declining permessage-deflate. */
type ClientKind = "node" | "ws-no-deflate";

/** Figures of one run's measured phase. Times in ms; throughput in messages per second. */
export interface ChatTargetResult {
  run: ChatRunName;
  client: ClientKind;
  /** WebSocket extensions the server accepted (e.g. permessage-deflate), as a client saw them. */
  extensions: string;
  messages: number;
  /** Frames delivered and counted (messages × clients). */
  deliveries: number;
  /** From the first send to the last delivery, ms. */
  durationMs: number;
  messagesPerSecond: number;
  deliveriesPerSecond: number;
  /** Delivery latency over all (message, client) pairs, ms. */
  latencyMs: Summary;
  /** Latency of the sender's own echo only (the round trip that paces it), ms. */
  echoLatencyMs: Summary;
  /** Time to connect all clients, ms. */
  connectMs: number;
  /** CPU time during the measured phase, by process role (ms); see proc-cpu.ts. */
  cpu: CpuUsage;
  /** CPU ms per message of the server side (SAM: every stack process; bare: the bare server). */
  serverCpuMsPerMessage: number;
  /** CPU ms per message of this process (the clients). */
  clientCpuMsPerMessage: number;
  /** Why the run was repeated (dropped connections); empty when it was not. */
  retries: string[];
}

/** Outcome of reading the measured session back through the history API. */
export interface PersistenceCheck {
  ok: boolean;
  expected: number;
  found: number;
  pages: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Seqs missing from 1..expected. */
  gaps: number;
  /** Sent texts not found in the history. */
  missingTexts: number;
  duplicates: number;
  problems: string[];
}

/** The whole chat benchmark's figures. */
export interface ChatBenchResult {
  config: ChatConfig;
  runs: Record<ChatRunName, ChatTargetResult>;
  /** Persistence checks of the two SAM runs' measured sessions. */
  persistence: { sam: PersistenceCheck; "sam-ws": PersistenceCheck };
  /** True when both persistence checks hold. */
  persistenceOk: boolean;
  /** SAM / bare (the goals' comparison), dimensionless. */
  ratios: { messagesPerSecond: number; latencyP50: number; latencyP99: number };
  rows: Row[];
}

/** Where a run connects: a project session reachable with `connectProject`. */
interface Target {
  run: ChatRunName;
  client: ClientKind;
  /** The stack's port (tells its processes apart in the CPU figures). */
  stackPort: number;
  host: string;
  token: string;
  projectId: string;
  warmupSessionId: string;
  measuredSessionId: string;
}

interface PhaseResult {
  deliveries: number;
  durationMs: number;
  latencies: Float64Array;
  echoLatencies: Float64Array;
  sentTexts: string[];
}

/** A `ws` client that declines permessage-deflate (Node's built-in WebSocket always offers it). */
class NoDeflateWebSocket extends WS {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

const TEXT_PATTERN = /^(\S+) s(\d+) #(\d+) t=(\d+(?:\.\d+)?)$/;

/** Index of the client that acts as sender `s` (senders spread evenly over the clients). */
function senderClient(s: number, config: ChatConfig): number {
  return Math.floor((s * config.clients) / config.senders);
}

/**
 * One phase: `total` messages to `sessionId`, closed-loop per sender, until every client got
 * every message (or the phase times out).
 */
async function runPhase(clients: ProjectClient[], config: ChatConfig, sessionId: string, total: number, tag: string, signal: AbortSignal): Promise<PhaseResult> {
  const perSender = total / config.senders;
  const expected = total * clients.length;
  const latencies = new Float64Array(expected);
  const echoLatencies = new Float64Array(total);
  const sentTexts: string[] = [];
  const sentBySender = new Array<number>(config.senders).fill(0);
  const senderOf = new Map<number, number>();
  for (let s = 0; s < config.senders; s++) senderOf.set(senderClient(s, config), s);
  let n = 0;
  let echoes = 0;
  let firstSend = 0;
  let lastDelivery = 0;
  const unsubscribe: Array<() => void> = [];
  let finish: (() => void) | undefined;
  let fail: ((error: Error) => void) | undefined;
  const done = new Promise<void>((res, rej) => {
    finish = res;
    fail = rej;
  });

  const sendNext = (s: number) => {
    if (sentBySender[s] >= perSender) return;
    const k = sentBySender[s]++;
    const t = performance.now();
    if (firstSend === 0) firstSend = t;
    const text = `${tag} s${s} #${k} t=${t.toFixed(3)}`;
    sentTexts.push(text);
    clients[senderClient(s, config)].sendChat(sessionId, text);
  };

  clients.forEach((client, c) => {
    unsubscribe.push(
      client.onFrame((frame) => {
        const now = performance.now();
        if (frame.type === "error") {
          fail?.(new Error(`${tag}: client ${c} got an error frame: ${frame.code}: ${frame.message}`));
          return;
        }
        if (frame.type !== "chat.message" || frame.message.sessionId !== sessionId) return;
        const match = TEXT_PATTERN.exec(frame.message.text);
        if (!match || match[1] !== tag) return;
        if (n >= expected) {
          fail?.(new Error(`${tag}: more deliveries than expected (duplicates?)`));
          return;
        }
        const latency = now - Number(match[4]);
        latencies[n++] = latency;
        lastDelivery = now;
        const s = Number(match[2]);
        if (senderOf.get(c) === s) {
          echoLatencies[echoes++] = latency;
          sendNext(s);
        }
        if (n === expected) finish?.();
      }),
    );
  });

  const onAbort = () => fail?.(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
  signal.addEventListener("abort", onAbort);
  try {
    signal.throwIfAborted();
    for (let s = 0; s < config.senders; s++) sendNext(s);
    await withTimeout(done, config.phaseTimeoutMs, `${tag}: ${n}/${expected} deliveries`);
  } finally {
    signal.removeEventListener("abort", onAbort);
    for (const off of unsubscribe) off();
  }
  return { deliveries: n, durationMs: lastDelivery - firstSend, latencies, echoLatencies: echoLatencies.subarray(0, echoes), sentTexts };
}

/**
 * A client's connection closed mid-run. Under `wrangler dev` this happens when the Worker
 * reloads (a watched file changed, e.g. another build of dist/ui); the run is then repeated.
 */
class DisconnectError extends Error {}

/** Attempts per target when connections drop (see {@link DisconnectError}). */
const ATTEMPTS = 3;

/** Runs `attempt` up to {@link ATTEMPTS} times while it fails with a DisconnectError. */
async function withRetries<T>(what: string, attempt: (n: number) => Promise<T>, log: (line: string) => void): Promise<{ value: T; retries: string[] }> {
  const retries: string[] = [];
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), retries };
    } catch (error) {
      if (!(error instanceof DisconnectError) || n >= ATTEMPTS) throw error;
      retries.push(error.message);
      log(`${what}: ${error.message}; the Worker probably reloaded. Repeating (attempt ${n + 1}/${ATTEMPTS}).`);
      await sleep(3000);
    }
  }
}

/** Connects `count` clients to the target, `batch` at a time; resolves when all are open. */
async function connectAll(target: Target, count: number, batch = 10): Promise<ProjectClient[]> {
  // partysocket only needs the WebSocket surface that `ws` implements.
  const WebSocketClass = target.client === "ws-no-deflate" ? (NoDeflateWebSocket as unknown as typeof WebSocket) : undefined;
  const clients: ProjectClient[] = [];
  try {
    for (let i = 0; i < count; i += batch) {
      const group: ProjectClient[] = [];
      for (let j = i; j < Math.min(i + batch, count); j++) {
        group.push(connectProject({ host: target.host, projectId: target.projectId, token: target.token, WebSocket: WebSocketClass }));
      }
      clients.push(...group);
      await withTimeout(Promise.all(group.map((c) => c.opened())), 30_000, `${target.run}: connecting clients ${i}..${i + group.length - 1}`);
    }
  } catch (error) {
    for (const client of clients) client.close();
    throw error;
  }
  return clients;
}

/** Runs warm-up then the measured phase against one target; closes its clients in every case. */
async function runTarget(target: Target, config: ChatConfig): Promise<{ result: Omit<ChatTargetResult, "retries">; sentTexts: string[] }> {
  const connectStarted = performance.now();
  const clients = await connectAll(target, config.clients);
  const connectMs = performance.now() - connectStarted;
  // A lost connection loses messages, which stalls a closed-loop sender: abort the run at once.
  const aborter = new AbortController();
  const onClose = (event: CloseEvent) => {
    aborter.abort(new DisconnectError(`${target.run}: a client lost its connection (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`));
  };
  for (const client of clients) client.socket.addEventListener("close", onClose);
  try {
    await runPhase(clients, config, target.warmupSessionId, config.warmupMessages, `warm-${target.run}`, aborter.signal);
    const before = snapshotCpu(target.stackPort);
    const phase = await runPhase(clients, config, target.measuredSessionId, config.messages, `bench-${target.run}`, aborter.signal);
    const cpu = cpuBetween(before, snapshotCpu(target.stackPort), os.availableParallelism());
    const seconds = phase.durationMs / 1000;
    // SAM and the floor: every process of their stacks; bare: the bare server's process.
    const isSam = target.run === "sam" || target.run === "sam-ws" || target.run === "floor" || target.run === "floor-ws";
    let serverMs = 0;
    for (const [role, ms] of Object.entries(cpu.byRole)) {
      if (isSam ? role !== "bench process" && role !== "bare ws server" : role === "bare ws server") serverMs += ms;
    }
    return {
      sentTexts: phase.sentTexts,
      result: {
        run: target.run,
        client: target.client,
        extensions: clients[0]?.socket.extensions ?? "",
        messages: config.messages,
        deliveries: phase.deliveries,
        durationMs: round(phase.durationMs, 1),
        messagesPerSecond: round(config.messages / seconds, 1),
        deliveriesPerSecond: round(phase.deliveries / seconds, 0),
        latencyMs: roundSummary(summarize(phase.latencies)),
        echoLatencyMs: roundSummary(summarize(phase.echoLatencies)),
        connectMs: round(connectMs, 0),
        cpu,
        serverCpuMsPerMessage: round(serverMs / config.messages, 3),
        clientCpuMsPerMessage: round((cpu.byRole["bench process"] ?? 0) / config.messages, 3),
      },
    };
  } finally {
    for (const client of clients) {
      client.socket.removeEventListener("close", onClose);
      client.close();
    }
  }
}

function roundSummary(s: Summary): Summary {
  return {
    count: s.count,
    min: round(s.min, 3),
    mean: round(s.mean, 3),
    p50: round(s.p50, 3),
    p90: round(s.p90, 3),
    p99: round(s.p99, 3),
    max: round(s.max, 3),
  };
}

/**
 * Reads the session back through `GET /api/projects/:p/sessions/:s/messages` in pages of 200
 * (newest first, then `before` = the oldest seq seen) and checks that it holds exactly the sent
 * texts with seq 1..N and no gaps or duplicates.
 */
export async function verifyPersistence(stack: Stack, projectId: string, sessionId: string, sentTexts: readonly string[]): Promise<PersistenceCheck> {
  const all: ChatMessage[] = [];
  let before: number | undefined;
  let pages = 0;
  const maxPages = Math.ceil(sentTexts.length / 200) + 5;
  for (; pages < maxPages; ) {
    const query = `limit=200${before === undefined ? "" : `&before=${before}`}`;
    const { messages } = await call<{ messages: ChatMessage[] }>(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages?${query}`);
    pages++;
    if (messages.length === 0) break;
    all.unshift(...messages);
    before = messages[0].seq;
  }
  const problems: string[] = [];
  const expected = sentTexts.length;
  const seqs = new Set(all.map((m) => m.seq));
  const duplicates = all.length - seqs.size;
  let gaps = 0;
  for (let seq = 1; seq <= expected; seq++) if (!seqs.has(seq)) gaps++;
  const texts = new Set(all.map((m) => m.text));
  const missingTexts = sentTexts.filter((t) => !texts.has(t)).length;
  for (let i = 1; i < all.length; i++) {
    if (all[i].seq !== all[i - 1].seq + 1) {
      problems.push(`seq ${all[i - 1].seq} is followed by ${all[i].seq}`);
      break;
    }
  }
  if (all.length !== expected) problems.push(`found ${all.length} messages, expected ${expected}`);
  if (gaps) problems.push(`${gaps} seqs of 1..${expected} missing`);
  if (duplicates) problems.push(`${duplicates} duplicate seqs`);
  if (missingTexts) problems.push(`${missingTexts} sent messages not in the history`);
  if (all.some((m) => m.sessionId !== sessionId)) problems.push("messages of another session in the page");
  if (pages >= maxPages) problems.push(`paging did not end after ${pages} pages`);
  return {
    ok: problems.length === 0,
    expected,
    found: all.length,
    pages,
    firstSeq: all[0]?.seq ?? null,
    lastSeq: all.at(-1)?.seq ?? null,
    gaps,
    missingTexts,
    duplicates,
    problems,
  };
}

/** Starts `bare-server.ts` as a child process; resolves with its port once it listens. */
async function spawnBareServer(deflate: boolean): Promise<{ port: number; child: ChildProcess }> {
  const args = [resolve(import.meta.dirname, "bare-server.ts"), ...(deflate ? ["--deflate"] : [])];
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const port = await withTimeout(
      new Promise<number>((res, rej) => {
        const lines = createInterface({ input: child.stdout! });
        lines.on("line", (line) => {
          if (line.startsWith(PORT_LINE_PREFIX)) res(Number(line.slice(PORT_LINE_PREFIX.length)));
        });
        child.once("exit", (code) => rej(new Error(`bare server exited with ${code} before listening`)));
        child.once("error", rej);
      }),
      15_000,
      "starting the bare ws server",
    );
    return { port, child };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Ends a child process: closes its stdin, then SIGTERM, then SIGKILL; waits for it (≤ 5 s). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  child.stdin?.end();
  const term = setTimeout(() => child.kill("SIGTERM"), 1000);
  const kill = setTimeout(() => child.kill("SIGKILL"), 4000);
  await exited;
  clearTimeout(term);
  clearTimeout(kill);
}

/**
 * Runs the chat fan-out benchmark: the runs `sam`, `bare`, `bare-deflate`, `sam-ws`, `bare-ws`,
 * `floor`, `floor-ws` (bare servers and the floor Worker started and stopped here), and the
 * persistence check of both SAM runs.
 * Prints progress to stderr.
 * @throws when a phase times out, a client gets an error frame, or setup fails.
 */
export async function runChatBench(stack: Stack, config: ChatConfig = DEFAULT_CHAT_CONFIG): Promise<ChatBenchResult> {
  if (config.messages % config.senders || config.warmupMessages % config.senders) throw new Error("senders must divide the message counts");
  const log = (line: string) => process.stderr.write(`[bench chat] ${line}\n`);
  const stackPort = Number(new URL(stack.url).port);
  log(`${config.clients} clients, ${config.senders} senders, ${config.warmupMessages} warm-up + ${config.messages} messages per run`);

  const runSam = async (run: "sam" | "sam-ws", client: ClientKind) => {
    const attempt = await withRetries(
      run,
      async () => {
        // A fresh project per attempt, so the measured session holds exactly this attempt's messages.
        const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: `perf: chat fan-out (${run})` } });
        const warmup = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "warm-up" } });
        const measured = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "measured" } });
        const target: Target = { run, client, stackPort, host: stack.host, token: stack.token, projectId: project.id, warmupSessionId: warmup.id, measuredSessionId: measured.id };
        return { ...(await runTarget(target, config)), projectId: project.id, sessionId: measured.id };
      },
      log,
    );
    const { result, sentTexts, projectId, sessionId } = attempt.value;
    log(`${run}: ${result.messagesPerSecond} msg/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms (extensions: ${result.extensions || "none"})`);
    const persistence = await verifyPersistence(stack, projectId, sessionId, sentTexts);
    log(`${run}: persistence ${persistence.ok ? "ok" : `FAILED: ${persistence.problems.join("; ")}`}`);
    return { result: { ...result, retries: attempt.retries }, persistence };
  };

  const runBare = async (run: "bare" | "bare-deflate" | "bare-ws" | "floor" | "floor-ws", client: ClientKind): Promise<ChatTargetResult> => {
    const attempt = await withRetries(
      run,
      async () => {
        const floor = run === "floor" || run === "floor-ws";
        const server = floor ? await startFloorWorker("http://127.0.0.1:9") : await spawnBareServer(run === "bare-deflate");
        try {
          const target: Target = {
            run,
            client,
            stackPort,
            host: `127.0.0.1:${server.port}`,
            token: "unused",
            projectId: newId("project"),
            warmupSessionId: newId("session"),
            measuredSessionId: newId("session"),
          };
          return await runTarget(target, config);
        } finally {
          await ("child" in server ? stopChild(server.child) : server.stop());
        }
      },
      log,
    );
    const result = attempt.value.result;
    log(`${run}: ${result.messagesPerSecond} msg/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms (extensions: ${result.extensions || "none"})`);
    return { ...result, retries: attempt.retries };
  };

  const sam = await runSam("sam", "node");
  const bare = await runBare("bare", "node");
  const bareDeflate = await runBare("bare-deflate", "node");
  const samWs = await runSam("sam-ws", "ws-no-deflate");
  const bareWs = await runBare("bare-ws", "ws-no-deflate");
  const floor = await runBare("floor", "node");
  const floorWs = await runBare("floor-ws", "ws-no-deflate");
  const runs: Record<ChatRunName, ChatTargetResult> = { sam: sam.result, bare, "bare-deflate": bareDeflate, "sam-ws": samWs.result, "bare-ws": bareWs, floor, "floor-ws": floorWs };

  const s = sam.result;
  const ratio = (a: number, b: number) => round(a / b, 2);
  const ratios = {
    messagesPerSecond: ratio(s.messagesPerSecond, bare.messagesPerSecond),
    latencyP50: ratio(s.latencyMs.p50, bare.latencyMs.p50),
    latencyP99: ratio(s.latencyMs.p99, bare.latencyMs.p99),
  };
  const info = (metric: string, a: number, b: number, withRatio = true): Row => ({ metric, sam: a, baseline: b, ratio: withRatio ? ratio(a, b) : "", goal: "", met: null });
  const compare = (label: string, a: ChatTargetResult, b: ChatTargetResult): Row[] => [
    info(`${label}: messages/s`, a.messagesPerSecond, b.messagesPerSecond),
    info(`${label}: latency p50 (ms)`, a.latencyMs.p50, b.latencyMs.p50),
    info(`${label}: latency p99 (ms)`, a.latencyMs.p99, b.latencyMs.p99),
    info(`${label}: server CPU/msg (ms)`, a.serverCpuMsPerMessage, b.serverCpuMsPerMessage),
    info(`${label}: client CPU/msg (ms)`, a.clientCpuMsPerMessage, b.clientCpuMsPerMessage, false),
  ];
  const persistRow = (run: string, check: PersistenceCheck): Row => ({
    metric: `${run}: persisted, seq 1..${config.messages}`,
    sam: `${check.found}/${check.expected}`,
    baseline: "n/a",
    ratio: "",
    goal: "all, no gaps",
    met: check.ok,
  });
  const otherCores = (r: ChatTargetResult) => (r.cpu.wallMs > 0 ? round(r.cpu.otherMs / r.cpu.wallMs, 2) : Number.NaN);
  const rows: Row[] = [
    { metric: "messages/s", sam: s.messagesPerSecond, baseline: bare.messagesPerSecond, ratio: ratios.messagesPerSecond, goal: ">= 0.5x bare", met: ratios.messagesPerSecond >= 0.5 },
    info("deliveries/s", s.deliveriesPerSecond, bare.deliveriesPerSecond),
    { metric: "latency p50 (ms)", sam: s.latencyMs.p50, baseline: bare.latencyMs.p50, ratio: ratios.latencyP50, goal: "<= 2x bare", met: ratios.latencyP50 <= 2 },
    info("latency p90 (ms)", s.latencyMs.p90, bare.latencyMs.p90),
    { metric: "latency p99 (ms)", sam: s.latencyMs.p99, baseline: bare.latencyMs.p99, ratio: ratios.latencyP99, goal: "<= 2x bare", met: ratios.latencyP99 <= 2 },
    { metric: "latency p99 (ms), absolute", sam: s.latencyMs.p99, baseline: bare.latencyMs.p99, ratio: ratios.latencyP99, goal: "< 20 ms", met: s.latencyMs.p99 < 20 },
    info("latency max (ms)", s.latencyMs.max, bare.latencyMs.max),
    info("server CPU per message (ms)", s.serverCpuMsPerMessage, bare.serverCpuMsPerMessage),
    info("client CPU per message (ms)", s.clientCpuMsPerMessage, bare.clientCpuMsPerMessage, false),
    info("other load on machine (cores)", otherCores(s), otherCores(bare), false),
    persistRow("sam", sam.persistence),
    ...compare("both deflate (bare-deflate)", s, bareDeflate),
    ...compare("no deflate (sam-ws/bare-ws)", samWs.result, bareWs),
    persistRow("sam-ws", samWs.persistence),
    ...compare("runtime floor vs bare (floor/bare)", floor, bare),
    ...compare("SAM vs runtime floor (sam/floor)", s, floor),
    ...compare("no deflate: floor-ws/bare-ws", floorWs, bareWs),
    ...compare("no deflate: sam-ws/floor-ws", samWs.result, floorWs),
    {
      metric: "runs repeated (dropped connections)",
      sam: s.retries.length + samWs.result.retries.length,
      baseline: bare.retries.length + bareDeflate.retries.length + bareWs.retries.length + floor.retries.length + floorWs.retries.length,
      ratio: "",
      goal: "",
      met: null,
    },
  ];
  const persistence = { sam: sam.persistence, "sam-ws": samWs.persistence };
  return { config, runs, persistence, persistenceOk: sam.persistence.ok && samWs.persistence.ok, ratios, rows };
}

/** The chat benchmark's table as text. */
export function formatChatTable(result: ChatBenchResult): string {
  const c = result.config;
  return formatTable(
    `Chat fan-out: ${c.clients} clients, ${c.senders} closed-loop senders, ${c.messages} messages (+${c.warmupMessages} warm-up); SAM vs bare ws, Node WebSocket clients`,
    result.rows,
  );
}
