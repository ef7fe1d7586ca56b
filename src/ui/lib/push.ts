/**
 * Browser push for this browser (the Push API with VAPID, RFC 8030/8292; the Agents SDK's
 * push-notification pattern): the service worker `/sw.js` (src/ui/public/sw.js) shows what SAM
 * pushes, and this module registers it, subscribes with the server's VAPID key and hands the
 * subscription to SAM (`POST /api/me/push-subscriptions`), or undoes both. The rules it decides
 * with are pure, in notifications.ts.
 */
import { pushSubscriptionSchema } from "../../shared/notification.ts";
import { deletePushSubscription, listPushSubscriptions, savePushSubscription, type StoredPushSubscription } from "./notificationsApi.ts";
import { vapidKeyBytes } from "./notifications.ts";

/** The service worker's address; served at the site's root so its scope is the whole UI. */
export const SERVICE_WORKER_PATH = "/sw.js";

/** What this browser offers for push: the APIs, a secure context, and the notification permission so far. */
export function browserPushSupport(): { supported: boolean; secureContext: boolean; permission: "default" | "granted" | "denied" } {
  const supported = typeof navigator !== "undefined" && "serviceWorker" in navigator && typeof window !== "undefined" && "PushManager" in window && "Notification" in window;
  return {
    supported,
    secureContext: typeof window !== "undefined" && window.isSecureContext,
    permission: supported ? Notification.permission : "default",
  };
}

/**
 * Registers `/sw.js` for the whole site (scope `/`; registering again returns the same
 * registration) and resolves once a service worker of it is active. Rejects when the browser
 * refuses the script (e.g. a network error or a Content-Security-Policy that forbids it).
 */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration> {
  await navigator.serviceWorker.register(SERVICE_WORKER_PATH, { scope: "/" });
  return navigator.serviceWorker.ready;
}

/** This browser's push subscription for SAM, or null (no service worker registered, or not subscribed). */
export async function currentPushSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

/** Whether `subscription` was made with the VAPID key `key` (a new server key needs a new subscription). */
function sameKey(subscription: PushSubscription, key: Uint8Array): boolean {
  const used = subscription.options.applicationServerKey;
  if (!used) return false;
  const bytes = new Uint8Array(used);
  return bytes.length === key.length && bytes.every((b, i) => b === key[i]);
}

/**
 * Turns push on for this browser: registers the service worker, asks for the notification
 * permission (the browser's prompt), subscribes with the server's VAPID key `publicKey`
 * (base64url; an old subscription made with another key is replaced) and stores the
 * subscription with SAM. Resolves to what SAM stored. Rejects with a readable Error when the
 * permission is not granted or the browser's push service refuses the subscription, or with the
 * API's ApiError when SAM refuses it.
 */
export async function enablePush(publicKey: string): Promise<StoredPushSubscription> {
  const key = vapidKeyBytes(publicKey);
  const registration = await registerServiceWorker();
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error(permission === "denied" ? "Notifications are blocked for this site." : "Notifications were not allowed.");
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  if (!subscription) {
    try {
      subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`The browser's push service refused the subscription (${reason}).`);
    }
  }
  const json = pushSubscriptionSchema.safeParse(subscription.toJSON());
  if (!json.success) throw new Error("The browser gave a push subscription without its keys.");
  return savePushSubscription(json.data);
}

/**
 * Turns push off for this browser: tells SAM to forget the subscription with this browser's
 * endpoint (if SAM has it), then unsubscribes from the browser's push service. Resolves when
 * both are done; a browser that was not subscribed is already off.
 */
export async function disablePush(): Promise<void> {
  const subscription = await currentPushSubscription();
  if (!subscription) return;
  const stored = (await listPushSubscriptions()).filter((s) => s.endpoint === subscription.endpoint);
  for (const s of stored) await deletePushSubscription(s.id);
  await subscription.unsubscribe();
}
