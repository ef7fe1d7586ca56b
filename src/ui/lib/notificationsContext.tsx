/**
 * The signed-in user's notifications, live, shared through React context: the provider (in the
 * top bar's Shell) opens the per-user socket `/agents/user-agent/<userId>` through `useAgent`
 * (same-origin, so the sign-in cookie authenticates it; no token in the page), keeps the unread
 * count and the newest notifications, and reconnects by itself (partysocket). The list is fetched
 * (`GET /api/notifications`) when the provider mounts and again on every (re)connect, so what
 * arrived while offline is not missed; frames then keep it current: `notification.new` adds one,
 * `notification.unread` sets the count (a read in another tab refetches the list).
 *
 * It also listens for the service worker's `sam:navigate` message (a click on a pushed
 * notification, src/ui/public/sw.js) and goes to that page in the app.
 */
import { useAgent } from "agents/react";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Notification } from "../../shared/notification.ts";
import { errorMessage } from "./api.ts";
import { mergeNotifications, markReadLocally, notificationHref, NOTIFICATION_LIST_LIMIT, parseUserFrame } from "./notifications.ts";
import { listNotifications, markNotificationsRead } from "./notificationsApi.ts";
import type { ConnectionState } from "./projectSocket.ts";
import { navigate } from "./router.tsx";

/** What `useNotifications` gives: the state and the actions. */
export type NotificationsState = {
  /** The unread count (over all of the user's notifications); null until first known. */
  unreadCount: number | null;
  /** The newest notifications (at most NOTIFICATION_LIST_LIMIT), newest first. */
  notifications: Notification[];
  /** Whether the list was loaded at least once. */
  loaded: boolean;
  /** The last failure to load or to mark read, in words; null when the last attempt worked. */
  error: string | null;
  /** The per-user socket. */
  connection: ConnectionState;
  /** Fetches of the list in flight (each reload, e.g. the one after the socket opens). */
  fetching: number;
  /** Marks these notifications read (shown read at once; the server's count follows). Never rejects: a failure lands in `error`. */
  markRead: (ids: string[]) => Promise<void>;
  /** Marks every notification read. Never rejects: a failure lands in `error`. */
  markAllRead: () => Promise<void>;
  /** Fetches the list again. */
  reload: () => void;
};

const NotificationsContext = createContext<NotificationsState | null>(null);

/** Opens the per-user socket of `userId` and provides the notifications to the components inside. */
export function NotificationsProvider({ userId, children }: { userId: string; children: ReactNode }) {
  const [unreadCount, setUnreadCount] = useState<number | null>(null);
  const [notifications, setNotifications] = useState<Notification[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [connection, setConnection] = useState<ConnectionState>("connecting");
  const [fetching, setFetching] = useState(0);
  const listRef = useRef(notifications);
  listRef.current = notifications;
  // Bumped by every fetch, so an older answer never overwrites a newer one.
  const generation = useRef(0);

  // Frames received so far (the newest few), so a fetch that was in flight when one arrived keeps it.
  const frames = useRef<{ seq: number; notification: Notification | null; unreadCount: number }[]>([]);
  const frameSeq = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    const seenFrames = frameSeq.current;
    setFetching((n) => n + 1);
    listNotifications({ limit: NOTIFICATION_LIST_LIMIT })
      .then((page) => {
        if (mine !== generation.current) return;
        const later = frames.current.filter((f) => f.seq > seenFrames);
        const arrived = later.flatMap((f) => (f.notification ? [f.notification] : []));
        // The page replaces the list (what is older than the page goes), with what arrived live meanwhile.
        setNotifications(mergeNotifications(page.notifications, arrived));
        setUnreadCount(later.length > 0 ? later[later.length - 1].unreadCount : page.unreadCount);
        setLoaded(true);
        setError(null);
      })
      .catch((err: unknown) => {
        if (mine === generation.current) setError(errorMessage(err));
      })
      .finally(() => setFetching((n) => n - 1));
  }, []);

  useEffect(() => reload(), [reload]);

  useAgent({
    agent: "user-agent",
    name: userId,
    onOpen: () => {
      setConnection("connected");
      reload();
    },
    onClose: () => setConnection("offline"),
    onError: () => setConnection((s) => (s === "connected" ? s : "offline")),
    onMessage: (event: MessageEvent) => {
      const frame = parseUserFrame(event.data);
      if (!frame) return;
      const notification = frame.type === "notification.new" ? frame.notification : null;
      frames.current = [...frames.current.slice(-(NOTIFICATION_LIST_LIMIT - 1)), { seq: ++frameSeq.current, notification, unreadCount: frame.unreadCount }];
      if (frame.type === "notification.new") {
        setNotifications((list) => mergeNotifications(list, [frame.notification]));
        setUnreadCount(frame.unreadCount);
        return;
      }
      setUnreadCount(frame.unreadCount);
      // Read somewhere else (another tab, the API): fetch which ones.
      const unreadShown = listRef.current.filter((n) => n.readAt === null).length;
      if (unreadShown > frame.unreadCount) reload();
    },
  });

  // A click on a pushed notification (sw.js) asks an open tab to go to its link.
  useEffect(() => {
    if (typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
    const onMessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      if (data && typeof data === "object" && (data as { type?: unknown }).type === "sam:navigate") {
        const link = (data as { link?: unknown }).link;
        if (typeof link === "string") navigate(notificationHref(link));
      }
    };
    navigator.serviceWorker.addEventListener("message", onMessage);
    return () => navigator.serviceWorker.removeEventListener("message", onMessage);
  }, []);

  const markRead = useCallback(
    async (ids: string[]) => {
      const unread = ids.filter((id) => listRef.current.some((n) => n.id === id && n.readAt === null));
      if (unread.length === 0) return;
      generation.current++;
      setNotifications((list) => markReadLocally(list, unread, new Date().toISOString()));
      setUnreadCount((count) => (count === null ? count : Math.max(0, count - unread.length)));
      try {
        setUnreadCount(await markNotificationsRead({ ids: unread }));
        setError(null);
      } catch (err) {
        setError(errorMessage(err));
        reload();
      }
    },
    [reload],
  );

  const markAllRead = useCallback(async () => {
    generation.current++;
    setNotifications((list) => markReadLocally(list, "all", new Date().toISOString()));
    setUnreadCount(0);
    try {
      setUnreadCount(await markNotificationsRead({ all: true }));
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
      reload();
    }
  }, [reload]);

  const value = useMemo(
    () => ({ unreadCount, notifications, loaded, error, connection, fetching, markRead, markAllRead, reload }),
    [unreadCount, notifications, loaded, error, connection, fetching, markRead, markAllRead, reload],
  );
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

/** The signed-in user's notifications; needs a `<NotificationsProvider>` above (the Shell has one). */
export function useNotifications(): NotificationsState {
  const value = useContext(NotificationsContext);
  if (!value) throw new Error("useNotifications needs a <NotificationsProvider>");
  return value;
}
