/**
 * Rate limiting of failed attempts (a wrong bearer token per client address, a wrong device
 * user code per user): failures are counted in D1 per key and per minute window, so the limit
 * holds across isolates. After MAX_FAILURES_PER_MINUTE failures in the current window a key is
 * refused until the window ends (the caller answers 429 `rate_limited` with `Retry-After`).
 */

/** Failures a key may have in one minute before it is refused (issue 13: 20). */
export const MAX_FAILURES_PER_MINUTE = 20;
/** Length of a counting window, in ms. */
export const FAILURE_WINDOW_MS = 60_000;

/** The start of the window holding `nowMs` (epoch ms). */
export function windowStart(nowMs: number): number {
  return nowMs - (nowMs % FAILURE_WINDOW_MS);
}

/** Seconds until the window holding `nowMs` ends, at least 1 (the `Retry-After` value). */
export function retryAfterSeconds(nowMs: number): number {
  return Math.max(1, Math.ceil((windowStart(nowMs) + FAILURE_WINDOW_MS - nowMs) / 1000));
}

/** The statement that reads `key`'s failures in the current window (for a D1 batch); its row is `{count}` or none. */
export function failuresStatement(env: Env, key: string, nowMs = Date.now()): D1PreparedStatement {
  return env.DB.prepare(`SELECT count FROM auth_failures WHERE key = ? AND window_start = ?`).bind(key, windowStart(nowMs));
}

/** Whether `count` failures (as `failuresStatement` read them) mean the key is refused now. */
export function isThrottled(count: number | undefined): boolean {
  return (count ?? 0) >= MAX_FAILURES_PER_MINUTE;
}

/** Counts one failure of `key` in the current window, and forgets windows older than the previous one. */
export async function recordFailure(env: Env, key: string, nowMs = Date.now()): Promise<void> {
  const start = windowStart(nowMs);
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO auth_failures (key, window_start, count) VALUES (?, ?, 1) ON CONFLICT(key, window_start) DO UPDATE SET count = count + 1`).bind(key, start),
    env.DB.prepare(`DELETE FROM auth_failures WHERE window_start < ?`).bind(start - FAILURE_WINDOW_MS),
  ]);
}

/** Whether `key` is refused now (reads its failures in the current window). */
export async function throttled(env: Env, key: string, nowMs = Date.now()): Promise<boolean> {
  const row = await failuresStatement(env, key, nowMs).first<{ count: number }>();
  return isThrottled(row?.count);
}

/**
 * The client a request came from, as a rate-limit key: its IPv4 address, or its IPv6 /64 (one
 * subscriber gets a whole /64, so single IPv6 addresses would be free to rotate), from
 * `cf-connecting-ip` (set by Cloudflare and by wrangler dev); "unknown" without one.
 */
export function clientAddress(request: Request): string {
  return addressKey(request.headers.get("cf-connecting-ip") ?? "unknown");
}

/** `ip` as a rate-limit key: an IPv4 address as it is, an IPv6 address as its /64 prefix (`2001:db8:0:1::/64`). Pure. */
export function addressKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  const [head, tail = ""] = ip.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}
