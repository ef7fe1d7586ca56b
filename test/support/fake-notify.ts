/**
 * A local fake of what notifications are delivered to (the real ones cannot be reached here): an
 * outgoing webhook's receiver and a browser vendor's push service, on loopback. It honours the
 * contracts SAM depends on and records what it received:
 *   POST /hook/<name>  any body → 200 (a Slack-compatible incoming webhook);
 *   POST /push/<name>  an encrypted push message (RFC 8291's `aes128gcm` content encoding; any
 *        other encoding is refused with 400) with a VAPID
 *        `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292) → 201. The fake holds the
 *        private key of one test browser (`browser`: the subscription keys to register), decrypts
 *        the body with `http_ece`, and checks the VAPID token's ES256 signature against `k`.
 * Both take query parameters to script their answers: `fail=N` (the first N requests to that
 * exact path and query answer 500), `status=S` (always answer S), `delay=MS` (answer after MS).
 * Control: GET /__control/requests?path=<pathname> → `{requests}` (all, or those to that path).
 */
import { createECDH, randomBytes, webcrypto, type ECDH } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
// http_ece has no types; it is a CommonJS module with `decrypt(buffer, params)`.
// @ts-expect-error no declaration file
import ece from "http_ece";

/** A VAPID token's claims and whether its signature verified against the key in `k`. */
export interface VapidSeen {
  /** Whether the JWT's ES256 signature verifies with `k`. */
  valid: boolean;
  k: string;
  aud: string;
  sub: string;
  exp: number;
}

/** One request the fake received. */
export interface NotifyRequest {
  /** Path and query, e.g. `/hook/a?fail=2`. */
  url: string;
  path: string;
  at: number;
  status: number;
  contentType: string | null;
  /** The body as text (webhooks), or the decrypted push message (push; null when it could not be decrypted). */
  text: string | null;
  /** Push only: the VAPID token seen, and the content encoding. */
  vapid: VapidSeen | null;
  contentEncoding: string | null;
  /** Why decrypting or checking failed (push), else null. */
  problem: string | null;
}

/** The running fake. */
export interface FakeNotify {
  url: string;
  /** The test browser's subscription keys (base64url): register them with a `/push/...` endpoint. */
  browser: { p256dh: string; auth: string };
  requests: NotifyRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads and verifies `Authorization: vapid t=<jwt>, k=<key>`. */
async function readVapid(authorization: string | undefined): Promise<VapidSeen | null> {
  const match = authorization ? /^vapid t=([^,\s]+),\s*k=(\S+)$/.exec(authorization) : null;
  if (!match) return null;
  const [token, k] = [match[1], match[2]];
  const [header, claims, signature] = token.split(".");
  const key = await webcrypto.subtle.importKey("raw", Buffer.from(k, "base64url"), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const valid = await webcrypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, Buffer.from(signature, "base64url"), Buffer.from(`${header}.${claims}`));
  const parsed = JSON.parse(Buffer.from(claims, "base64url").toString("utf8")) as { aud: string; sub: string; exp: number };
  return { valid, k, aud: parsed.aud, sub: parsed.sub, exp: parsed.exp };
}

/** Decrypts a push message for `browser` (RFC 8291 `aes128gcm`). @throws Error for any other `Content-Encoding`. */
function decrypt(body: Buffer, headers: IncomingMessage["headers"], browser: ECDH, auth: Buffer): string {
  const encoding = headers["content-encoding"];
  if (encoding !== "aes128gcm") throw new Error(`not RFC 8291's aes128gcm: ${String(encoding)}`);
  return (ece.decrypt(body, { version: "aes128gcm", privateKey: browser, authSecret: auth }) as Buffer).toString("utf8");
}

/** Starts the fake on a free loopback port. */
export async function startFakeNotify(): Promise<FakeNotify> {
  const browser = createECDH("prime256v1");
  browser.generateKeys();
  const auth = randomBytes(16);
  const requests: NotifyRequest[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (req.method === "GET" && url.pathname === "/__control/requests") {
      const path = url.searchParams.get("path");
      return json(200, { requests: path ? requests.filter((r) => r.path === path) : requests });
    }
    const push = url.pathname.startsWith("/push/");
    if (req.method !== "POST" || !(push || url.pathname.startsWith("/hook/"))) return json(404, { error: "no such route" });
    const body = await readBody(req);
    const key = `${url.pathname}${url.search}`;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    const fail = Number(url.searchParams.get("fail") ?? 0);
    const fixed = url.searchParams.get("status");
    const status = fixed ? Number(fixed) : count <= fail ? 500 : push ? 201 : 200;
    let text: string | null = body.toString("utf8");
    let vapid: VapidSeen | null = null;
    let problem: string | null = null;
    if (push) {
      text = null;
      try {
        vapid = await readVapid(req.headers.authorization);
        text = decrypt(body, req.headers, browser, auth);
      } catch (error) {
        problem = error instanceof Error ? error.message : String(error);
      }
    }
    requests.push({
      url: key,
      path: url.pathname,
      at: Date.now(),
      status,
      contentType: req.headers["content-type"] ?? null,
      text,
      vapid,
      contentEncoding: (req.headers["content-encoding"] as string | undefined) ?? null,
      problem,
    });
    const delay = Number(url.searchParams.get("delay") ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (!res.destroyed) json(status, status < 300 ? { ok: true } : { error: "scripted failure" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    browser: { p256dh: browser.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
