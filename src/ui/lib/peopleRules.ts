/**
 * Pure helpers of the people pages (no DOM, no React; unit-tested in test/node/ui-people.test.ts):
 * initials for avatars, the device user code as typed, the login link's token, safe paths to
 * come back to after signing in, what an access check's answer means, and token lifetimes.
 */

/**
 * Up to two capital letters for an avatar: the first letters of the first and last words of
 * `name` ("Octo Cat" → "OC", "octo" → "O"); "?" for an empty name.
 */
export function initials(name: string): string {
  const words = name.trim().split(/[\s._-]+/).filter(Boolean);
  if (words.length === 0) return "?";
  const first = [...words[0]][0] ?? "";
  const last = words.length > 1 ? ([...words[words.length - 1]][0] ?? "") : "";
  return (first + last).toUpperCase();
}

/** RFC 8628 §6.1's base-20 alphabet of user codes (as the server makes them: no vowels, no look-alikes). */
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

/**
 * A device user code as a person typed it (any case, spaces or dashes) in the form the CLI shows,
 * `XXXX-XXXX`; null when it cannot be one (not 8 letters of the alphabet). Mirrors the server's
 * `normalizeUserCode` (src/api/people/device-codes.ts), which decides.
 */
export function normalizeUserCode(input: string): string | null {
  const letters = input.toUpperCase().replace(/[\s-]/g, "");
  if (letters.length !== 8 || [...letters].some((ch) => !USER_CODE_ALPHABET.includes(ch))) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

/** The token of a login link's fragment (`#token=sam_pat_...`), trimmed; null when there is none. */
export function tokenFromHash(hash: string): string | null {
  const fragment = hash.replace(/^#/, "");
  if (!fragment) return null;
  const token = new URLSearchParams(fragment).get("token");
  return token && token.trim() ? token.trim() : null;
}

/**
 * `path` when it is a path of this site worth coming back to after signing in (starts with one
 * `/`, not `//` or `/\`, not the login page or the API); else null. Stops a crafted value from
 * sending the browser to another site.
 */
export function safeReturnPath(path: string | null | undefined): string | null {
  if (!path || !path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\")) return null;
  if (/[\u0000-\u001f]/.test(path)) return null;
  const pathname = path.split(/[?#]/)[0];
  if (pathname === "/" || pathname === "/login" || pathname.startsWith("/api/") || pathname.startsWith("/agents/")) return null;
  return path;
}

/**
 * What a failed re-check of one's access to a project means, from the API's status and code:
 * `lost` (404: not, or no longer, a member), `signedOut` (401), `inactive` (403 account pending or
 * suspended), `unknown` (anything else: the network, a 5xx; keep trying).
 */
export function accessOutcome(status: number, code: string): "lost" | "signedOut" | "inactive" | "unknown" {
  if (status === 404) return "lost";
  if (status === 401) return "signedOut";
  if (status === 403 && (code === "account_pending" || code === "account_suspended")) return "inactive";
  return "unknown";
}

/** The lifetimes offered for a new token, in days (null: never expires); the server allows 1 to 3,650. */
export const TOKEN_LIFETIMES: readonly (number | null)[] = [30, 90, 365, null];

/** A token lifetime in words: "never expires", "1 day", "30 days". */
export function lifetimeLabel(days: number | null): string {
  if (days === null) return "never expires";
  return days === 1 ? "1 day" : `${days} days`;
}
