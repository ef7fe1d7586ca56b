/**
 * Where to come back to after signing in with GitHub: the server's OAuth callback always sends
 * the browser to `/`, so the page a signed-out visitor was on (e.g. `/device?user_code=...`) is
 * remembered in sessionStorage (this tab only; never a secret) and taken once after sign-in.
 */
import { safeReturnPath } from "./peopleRules.ts";

const KEY = "sam.returnTo";

/** Remembers `path` (a path with its query) when it is worth coming back to (see `safeReturnPath`). */
export function rememberReturnPath(path: string): void {
  const safe = safeReturnPath(path);
  try {
    if (safe) window.sessionStorage.setItem(KEY, safe);
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: the visitor lands on the home page instead
  }
}

/** The remembered path, forgotten as it is read; null when there is none (or it is not a safe path). */
export function takeReturnPath(): string | null {
  try {
    const stored = window.sessionStorage.getItem(KEY);
    window.sessionStorage.removeItem(KEY);
    return safeReturnPath(stored);
  } catch {
    return null;
  }
}
