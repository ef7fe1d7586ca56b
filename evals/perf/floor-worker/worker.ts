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
 *  - anything else: `{"ok":true}`.
 */
import { DurableObject } from "cloudflare:workers";
import type { OutboundLoopRequest } from "../floor.ts";

/** Bindings of the floor Worker (its wrangler.jsonc). */
interface FloorEnv {
  ROOM: DurableObjectNamespace<BroadcastRoom>;
  LOOP: DurableObjectNamespace<OutboundLoop>;
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

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return env.ROOM.get(env.ROOM.idFromName("room")).fetch(request);
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/outbound-loop") return env.LOOP.get(env.LOOP.idFromName("loop")).fetch(request);
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
