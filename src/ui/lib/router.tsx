/**
 * A tiny History-API router: the current path (and query) as hooks, `navigate`, `<Link>`, and the
 * route table of the app (`/`, `/login`, `/projects/:id`, `/projects/:id/sessions/:sid`,
 * `/tasks/:id`, `/usage`, `/settings`, `/tokens`, `/device`, `/admin/users`, `/notifications`).
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";

const NAVIGATE_EVENT = "sam:navigate";

function subscribe(listener: () => void): () => void {
  window.addEventListener("popstate", listener);
  window.addEventListener(NAVIGATE_EVENT, listener);
  return () => {
    window.removeEventListener("popstate", listener);
    window.removeEventListener(NAVIGATE_EVENT, listener);
  };
}

function currentPath(): string {
  return window.location.pathname;
}

/** React hook: the current location pathname. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath, currentPath);
}

function currentSearch(): string {
  return window.location.search;
}

/** React hook: the location's query string (`?a=b`, or ""), re-rendering when it changes. */
export function useSearch(): string {
  return useSyncExternalStore(subscribe, currentSearch, currentSearch);
}

/** Goes to `to` (a same-origin path), pushing a history entry unless `replace`. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  if (!options.replace) window.scrollTo(0, 0);
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

/** An anchor that navigates in-app on a plain click (new tab etc. still work). */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey ||
      rest.target === "_blank"
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handleClick} {...rest} />;
}

/** The routes of the app. */
export type Route =
  | { name: "projects" }
  | { name: "login" }
  | { name: "project"; projectId: string; sessionId: string | null }
  | { name: "task"; taskId: string }
  | { name: "usage" }
  | { name: "settings" }
  | { name: "tokens" }
  | { name: "device" }
  | { name: "adminUsers" }
  | { name: "notifications" }
  | { name: "notFound" };

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Matches a pathname against the route table. */
export function matchRoute(path: string): Route {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  if (trimmed === "/" || trimmed === "") return { name: "projects" };
  if (trimmed === "/login") return { name: "login" };
  if (trimmed === "/usage") return { name: "usage" };
  if (trimmed === "/settings") return { name: "settings" };
  if (trimmed === "/tokens") return { name: "tokens" };
  if (trimmed === "/device") return { name: "device" };
  if (trimmed === "/admin/users") return { name: "adminUsers" };
  if (trimmed === "/notifications") return { name: "notifications" };
  let m = /^\/projects\/([^/]+)$/.exec(trimmed);
  if (m) return { name: "project", projectId: decode(m[1]), sessionId: null };
  m = /^\/projects\/([^/]+)\/sessions\/([^/]+)$/.exec(trimmed);
  if (m) return { name: "project", projectId: decode(m[1]), sessionId: decode(m[2]) };
  m = /^\/tasks\/([^/]+)$/.exec(trimmed);
  if (m) return { name: "task", taskId: decode(m[1]) };
  return { name: "notFound" };
}

/** Path builders, so links are spelled in one place. */
export const paths = {
  projects: (): string => "/",
  project: (projectId: string): string => `/projects/${encodeURIComponent(projectId)}`,
  session: (projectId: string, sessionId: string): string =>
    `/projects/${encodeURIComponent(projectId)}/sessions/${encodeURIComponent(sessionId)}`,
  task: (taskId: string): string => `/tasks/${encodeURIComponent(taskId)}`,
  usage: (): string => "/usage",
  settings: (): string => "/settings",
  tokens: (): string => "/tokens",
  /** The device approval page (RFC 8628's verification_uri), with the code when known. */
  device: (userCode?: string): string => (userCode ? `/device?user_code=${encodeURIComponent(userCode)}` : "/device"),
  adminUsers: (): string => "/admin/users",
  notifications: (): string => "/notifications",
};
