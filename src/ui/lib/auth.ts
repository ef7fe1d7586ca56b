/**
 * The signed-in token: kept in localStorage under `sam.token`, observable from React.
 * A 401 from any API call clears it (see api.ts), which sends the app to the sign-in page.
 */
import { useSyncExternalStore } from "react";

const STORAGE_KEY = "sam.token";
const listeners = new Set<() => void>();

function readStorage(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

let current: string | null = readStorage();

function emit(): void {
  for (const listener of listeners) listener();
}

// Keep tabs in step: signing in or out in one tab applies to the others.
window.addEventListener("storage", (event) => {
  if (event.key === STORAGE_KEY || event.key === null) {
    current = readStorage();
    emit();
  }
});

/** Returns the stored token, or null when signed out. */
export function getToken(): string | null {
  return current;
}

/** Stores a verified token (signs in). */
export function setToken(token: string): void {
  current = token;
  try {
    window.localStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage may be unavailable (private mode); the token still lives for this tab.
  }
  emit();
}

/** Forgets the token (signs out). */
export function signOut(): void {
  current = null;
  try {
    window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // ignore
  }
  emit();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** React hook: the current token, re-rendering on sign-in and sign-out. */
export function useToken(): string | null {
  return useSyncExternalStore(subscribe, getToken, getToken);
}
