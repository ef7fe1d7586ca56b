/**
 * The chat fan-out baseline: a bare Node `ws` broadcast server with no persistence, no auth and
 * no validation beyond JSON parsing. It speaks just enough of SAM's frame protocol
 * (`chat.send` in, `chat.message` out, per-session seq) that the very same client code
 * (`connectProject`) talks to it and to SAM. Any URL path is accepted.
 *
 * Run as a child process (`node evals/perf/bare-server.ts [--deflate]`), so that, like SAM's workerd, it
 * has its own process and event loop. It listens on 127.0.0.1 on a free port, prints
 * `PORT <n>` on stdout, and exits when its stdin closes (the parent ended) or on SIGTERM.
 */
import { WebSocketServer, type RawData } from "ws";

/** The line prefix the server prints with its port. */
export const PORT_LINE_PREFIX = "PORT ";

/**
 * Starts the server on 127.0.0.1:`port` (0: a free one); resolves with the bound port.
 * @param deflate accept permessage-deflate when the client offers it, and compress every frame
 *   (threshold 0 bytes), as workerd does; otherwise `ws`'s default, no compression.
 */
export async function startBareServer(port = 0, deflate = false): Promise<{ port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: deflate ? { threshold: 0 } : false });
  await new Promise<void>((resolve, reject) => {
    wss.once("listening", () => resolve());
    wss.once("error", reject);
  });
  const seqs = new Map<string, number>();
  let ids = 0;
  wss.on("connection", (socket) => {
    socket.on("message", (raw: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let frame: unknown;
      try {
        frame = JSON.parse(raw.toString());
      } catch {
        return;
      }
      if (typeof frame !== "object" || frame === null) return;
      const f = frame as { type?: unknown; sessionId?: unknown; text?: unknown };
      if (f.type !== "chat.send" || typeof f.sessionId !== "string" || typeof f.text !== "string") return;
      const seq = (seqs.get(f.sessionId) ?? 0) + 1;
      seqs.set(f.sessionId, seq);
      const out = JSON.stringify({
        type: "chat.message",
        message: { id: `msg_${++ids}`, sessionId: f.sessionId, seq, role: "user", author: "bench", text: f.text, createdAt: new Date().toISOString() },
      });
      for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(out);
    });
  });
  const address = wss.address();
  const bound = typeof address === "object" && address ? address.port : 0;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

if (import.meta.main) {
  const server = await startBareServer(0, process.argv.includes("--deflate"));
  process.stdout.write(`${PORT_LINE_PREFIX}${server.port}\n`);
  const stop = () => void server.close().finally(() => process.exit(0));
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
