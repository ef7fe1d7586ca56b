/**
 * The runtime floor: the least a Worker can do for the chat and proxy benchmarks, run under
 * `wrangler dev` exactly as `npm start` runs SAM (`floor.ts`). No auth, no validation beyond
 * JSON parsing, no persistence, no SAM code. What this costs over the bare Node servers is what
 * wrangler dev and workerd cost by themselves, before SAM does anything.
 *
 *  - WebSocket upgrade (any path): one `BroadcastRoom` Durable Object (hibernation API, as the
 *    Agents SDK uses) speaking the same frames as `bare-server.ts` (`chat.send` in,
 *    `chat.message` with a per-session seq out to every socket).
 *  - `POST /v1/chat/completions`: forwarded as is to `UPSTREAM_BASE_URL` (a `--var`), the
 *    answer streamed back as is.
 *  - `POST /outbound-loop` with an `OutboundLoopRequest`: one `OutboundLoop` Durable Object sends
 *    the same request `steps` times, one after another (optionally writing a SQLite row before
 *    each, as a journal would), and answers `{ms}`, the loop's time: what a tool call to the
 *    runner costs from inside an actor, with nothing else around it.
 *  - `POST /mission-floor` with a `MissionFloorRequest`: one `FloorMission` actor starts N
 *    `FloorTask` actors at once, each an Agents SDK `Agent` as SAM's TaskAgent is, and each makes
 *    the runner calls one of SAM's mission tasks makes (create its workspace, write `a.txt`, run
 *    `cat a.txt`, list the changed files) and reports its end to the mission by RPC; answers
 *    `{ms}` once all N reported: what a mission of N actor-tasks costs before SAM does anything
 *    (no journal, no budgets, no publishing, no model).
 *  - anything else: `{"ok":true}`.
 */
import { Agent, getAgentByName } from "agents";
import { DurableObject } from "cloudflare:workers";
import type { MissionFloorRequest, OutboundLoopRequest } from "../floor.ts";

/** Bindings of the floor Worker (its wrangler.jsonc). */
interface FloorEnv {
  ROOM: DurableObjectNamespace<BroadcastRoom>;
  LOOP: DurableObjectNamespace<OutboundLoop>;
  MISSION: DurableObjectNamespace<FloorMission>;
  TASK: DurableObjectNamespace<FloorTask>;
  UPSTREAM_BASE_URL?: string;
}

/** One broadcast room: every `chat.send` goes out to every connected socket, nothing stored. */
export class BroadcastRoom extends DurableObject<FloorEnv> {
  private readonly seqs = new Map<string, number>();
  private ids = 0;

  override fetch(): Response {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override webSocketMessage(_socket: WebSocket, raw: string | ArrayBuffer): void {
    if (typeof raw !== "string") return;
    let frame: { type?: unknown; sessionId?: unknown; text?: unknown };
    try {
      frame = JSON.parse(raw) as typeof frame;
    } catch {
      return;
    }
    if (frame?.type !== "chat.send" || typeof frame.sessionId !== "string" || typeof frame.text !== "string") return;
    const seq = (this.seqs.get(frame.sessionId) ?? 0) + 1;
    this.seqs.set(frame.sessionId, seq);
    const out = JSON.stringify({
      type: "chat.message",
      message: { id: `msg_${++this.ids}`, sessionId: frame.sessionId, seq, role: "user", author: "bench", text: frame.text, createdAt: new Date().toISOString() },
    });
    for (const socket of this.ctx.getWebSockets()) socket.send(out);
  }
}

/** Sends one request `steps` times in a row from inside a Durable Object. */
export class OutboundLoop extends DurableObject<FloorEnv> {
  override async fetch(request: Request): Promise<Response> {
    const loop = (await request.json()) as OutboundLoopRequest;
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL)");
    const started = Date.now();
    for (let i = 0; i < loop.steps; i++) {
      if (loop.journal) this.ctx.storage.sql.exec("INSERT INTO journal (at) VALUES (?)", Date.now());
      const response = await fetch(loop.url, { method: "POST", headers: loop.headers, body: loop.body });
      const text = await response.text();
      if (!response.ok) return Response.json({ error: `step ${i}: ${response.status} ${text.slice(0, 200)}` }, { status: 502 });
    }
    return Response.json({ ms: Date.now() - started });
  }
}

/**
 * The floor's bindings. The Agents SDK types an Agent's env as `Cloudflare.Env`, which this
 * repository declares as SAM's; the floor Worker has its own (its wrangler.jsonc).
 */
function floorEnv(env: Cloudflare.Env): FloorEnv {
  return env as unknown as FloorEnv;
}

/** What one floor task is told: where the runner is and which workspace is its own. */
interface FloorTaskSpec {
  runnerUrl: string;
  secret: string;
  workspaceId: string;
  missionName: string;
}

/** One task of the mission floor: the runner calls of a SAM mission task, nothing else. */
export class FloorTask extends Agent {
  /** Starts the task's calls and returns at once (as SAM's TaskAgent.start starts its loop). */
  async start(spec: FloorTaskSpec): Promise<void> {
    this.ctx.waitUntil(this.work(spec));
  }

  private async work(spec: FloorTaskSpec): Promise<void> {
    let error: string | null = null;
    try {
      const base = `${spec.runnerUrl}/v1/workspaces/${spec.workspaceId}`;
      const headers = { authorization: `Bearer ${spec.secret}`, "content-type": "application/json" };
      const send = async (method: string, path: string, body: unknown) => {
        const response = await fetch(base + path, { method, headers, body: JSON.stringify(body) });
        const text = await response.text();
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
        return text;
      };
      await send("PUT", "", { files: {} });
      await send("POST", "/write", { path: "a.txt", content: "x" });
      const cat = JSON.parse(await send("POST", "/exec", { command: "cat a.txt", timeoutMs: 60_000 })) as { output?: string };
      if (cat.output?.trim() !== "x") throw new Error(`cat a.txt printed ${JSON.stringify(cat.output)}`);
      await send("POST", "/changes", {});
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    await (await getAgentByName(floorEnv(this.env).MISSION, spec.missionName)).taskEnded(spec.workspaceId, error);
  }
}

/** The mission floor's coordinator: starts N FloorTasks at once and waits for their reports. */
export class FloorMission extends Agent {
  private waiting: { left: number; errors: string[]; done: () => void } | null = null;

  /** Runs one mission of `request.tasks` floor tasks; returns its time in ms and any task errors. */
  async run(request: MissionFloorRequest, name: string): Promise<{ ms: number; errors: string[] }> {
    const started = Date.now();
    const finished = new Promise<void>((done) => {
      this.waiting = { left: request.tasks, errors: [], done };
    });
    const ids = Array.from({ length: request.tasks }, (_, i) => `${request.workspacePrefix}-${i}`);
    await Promise.all(
      ids.map(async (workspaceId) => {
        const task = await getAgentByName(floorEnv(this.env).TASK, workspaceId);
        await task.start({ runnerUrl: request.runnerUrl, secret: request.secret, workspaceId, missionName: name });
      }),
    );
    await finished;
    const errors = this.waiting?.errors ?? [];
    this.waiting = null;
    return { ms: Date.now() - started, errors };
  }

  /** A task's end report. */
  async taskEnded(workspaceId: string, error: string | null): Promise<void> {
    const waiting = this.waiting;
    if (!waiting) return;
    if (error) waiting.errors.push(`${workspaceId}: ${error}`);
    if (--waiting.left === 0) waiting.done();
  }
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return env.ROOM.get(env.ROOM.idFromName("room")).fetch(request);
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/outbound-loop") return env.LOOP.get(env.LOOP.idFromName("loop")).fetch(request);
    if (request.method === "POST" && url.pathname === "/mission-floor") {
      const body = (await request.json()) as MissionFloorRequest;
      const name = `mission-${body.workspacePrefix}`;
      return Response.json(await (await getAgentByName(env.MISSION, name)).run(body, name));
    }
    if (request.method === "POST" && url.pathname === "/v1/chat/completions" && env.UPSTREAM_BASE_URL) {
      const upstream = await fetch(`${env.UPSTREAM_BASE_URL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: request.body,
      });
      return new Response(upstream.body, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" } });
    }
    return Response.json({ ok: true });
  },
} satisfies ExportedHandler<FloorEnv>;
