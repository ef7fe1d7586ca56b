/*
 * SAM's service worker (served at /sw.js, scope /): shows the notifications SAM pushes through
 * the browser's push service (Web Push with VAPID) and opens what they are about on a click.
 * Registered by the settings page when someone turns browser push on (src/ui/lib/push.ts).
 *
 * A push's data is JSON `{title, body, link, id, kind}` (docs/api.md, "Browser push"); it is
 * shown with `showNotification(title, {body, tag: id, data: {link}})`, so a notification pushed
 * twice shows once. A click focuses a SAM tab and takes it to `link` (in the app, without a
 * reload, through a `sam:navigate` message the page listens for), or opens a new tab there.
 *
 * It has no fetch handler: the UI's requests never go through it.
 */

/** The title shown when a push carries no readable payload (the browser requires a notification). */
const FALLBACK_TITLE = "SAM";

/** A same-origin path to open, or the notifications page for anything else (mirrors notificationHref). */
function safeLink(link) {
  if (typeof link !== "string" || !link.startsWith("/") || link.startsWith("//") || link.startsWith("/\\") || /[\u0000-\u001f]/.test(link)) return "/notifications";
  return link;
}

/** The push's payload as `{title, body, link, id}`, with defaults for what is missing or unreadable. */
function readPayload(data) {
  let payload = {};
  try {
    payload = data ? data.json() : {};
  } catch {
    payload = { body: data ? data.text() : "" };
  }
  if (!payload || typeof payload !== "object") payload = {};
  return {
    title: typeof payload.title === "string" && payload.title ? payload.title : FALLBACK_TITLE,
    body: typeof payload.body === "string" ? payload.body : "",
    link: safeLink(payload.link),
    id: typeof payload.id === "string" ? payload.id : undefined,
  };
}

self.addEventListener("install", () => {
  // A new version takes over at once: it only shows notifications, it keeps no cache to migrate.
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", (event) => {
  const { title, body, link, id } = readPayload(event.data);
  event.waitUntil(self.registration.showNotification(title, { body, tag: id, data: { link } }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const link = safeLink(event.notification.data && event.notification.data.link);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const tab = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (tab) {
        await tab.focus();
        tab.postMessage({ type: "sam:navigate", link });
        return;
      }
      await self.clients.openWindow(link);
    })(),
  );
});
