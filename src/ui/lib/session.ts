/**
 * The browser's sign-in, as React sees it. The sign-in itself is an HttpOnly cookie the server
 * sets (the page never holds a token); this store only knows who `GET /api/me` says is signed in,
 * and follows what API answers reveal (a 401: signed out; a 403 `account_pending` /
 * `account_suspended`: the account's status changed). Other tabs of the same browser are told
 * through a BroadcastChannel when this one signs in or out.
 */
import { useSyncExternalStore } from "react";
import { ApiError, errorMessage, getMe, setAuthProblemHandler, type User } from "./api.ts";
import { endSignIn, exchangeToken } from "./peopleApi.ts";

/** Where the sign-in stands: being checked, signed out (with why, if known), signed in as `user`, or the server could not be asked. */
export type SessionState =
  | { status: "loading" }
  | { status: "signedOut"; problem: string | null }
  | { status: "signedIn"; user: User }
  | { status: "unreachable"; message: string };

/** The localStorage key where older versions kept the token; removed on load (a token no longer lives in storage). */
const LEGACY_TOKEN_KEY = "sam.token";
const CHANNEL_NAME = "sam.session";

let state: SessionState = { status: "loading" };
const listeners = new Set<() => void>();
let channel: BroadcastChannel | null = null;
/** Bumped by every load, so an older answer never overwrites a newer one. */
let generation = 0;

function setState(next: SessionState): void {
  state = next;
  for (const listener of [...listeners]) listener();
}

function tellOtherTabs(): void {
  try {
    channel?.postMessage("changed");
  } catch {
    // a closed channel: nothing to tell
  }
}

/**
 * Asks `GET /api/me` who is signed in and stores the answer: signed in (any status), signed out
 * on 401, `unreachable` on any other failure. Resolves when stored.
 */
export async function loadSession(): Promise<void> {
  const mine = ++generation;
  try {
    const user = await getMe({ reportAuth: false });
    if (mine === generation) setState({ status: "signedIn", user });
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof ApiError && error.status === 401) setState({ status: "signedOut", problem: null });
    else setState({ status: "unreachable", message: errorMessage(error) });
  }
}

/**
 * Signs this browser in with a personal access token (the login link's, or a pasted one): the
 * server swaps it for its cookie. Resolves to null when signed in, else the reason in words.
 */
export async function signInWithToken(token: string): Promise<string | null> {
  try {
    const user = await exchangeToken(token);
    generation++;
    setState({ status: "signedIn", user });
    tellOtherTabs();
    return null;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return "That token is not valid (or has been revoked or has expired).";
    if (error instanceof ApiError && error.status === 429) return `Too many failed attempts: ${error.message}`;
    return errorMessage(error);
  }
}

/** Ends this browser's sign-in on the server (an answer that it was already over counts too) and shows the signed-out page. */
export async function signOut(): Promise<void> {
  try {
    await endSignIn();
  } catch {
    // Already signed out (401), or the server is unreachable: the page signs out either way.
  }
  generation++;
  setState({ status: "signedOut", problem: null });
  tellOtherTabs();
}

/** The current state (outside React). */
export function getSession(): SessionState {
  return state;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** React hook: the sign-in state, re-rendering when it changes. */
export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, getSession, getSession);
}

/** Starts the store: clears a legacy stored token, follows the API's auth problems and other tabs, and loads the session. Call once. */
export function startSession(): void {
  try {
    window.localStorage.removeItem(LEGACY_TOKEN_KEY);
  } catch {
    // storage unavailable: nothing stored either
  }
  setAuthProblemHandler((problem) => {
    if (problem.kind === "signedOut") {
      if (state.status === "signedIn") {
        generation++;
        setState({ status: "signedOut", problem: "Your sign-in has ended (signed out, expired or revoked). Sign in again." });
      }
    } else if (state.status !== "signedIn" || state.user.status === "active") {
      void loadSession();
    }
  });
  if (typeof BroadcastChannel !== "undefined") {
    channel = new BroadcastChannel(CHANNEL_NAME);
    channel.onmessage = () => void loadSession();
  }
  void loadSession();
}
