/**
 * `/notifications`: the signed-in user's newest notifications, live (the per-user socket adds
 * new ones as they happen), newest first, each linking to what it is about; "Mark all read".
 * Where they go beyond this page (push, webhook) is set in Settings.
 */
import { useEffect, useState } from "react";
import { useNotifications } from "../lib/notificationsContext.tsx";
import { Link, paths } from "../lib/router.tsx";
import { FormError } from "./FormError.tsx";
import { NotificationItem } from "./NotificationItem.tsx";

/** How often relative times are refreshed, in ms. */
const CLOCK_TICK_MS = 30_000;

/** The notifications page. */
export function NotificationsPage() {
  const { notifications, unreadCount, loaded, error, markRead, markAllRead } = useNotifications();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), CLOCK_TICK_MS);
    return () => clearInterval(timer);
  }, []);
  // A notification that arrives renders with the time it arrived, not the last tick.
  useEffect(() => setNow(Date.now()), [notifications]);

  const unread = unreadCount ?? 0;
  return (
    <div className="page narrow notifications-page" data-testid="notifications-page">
      <div className="page-head">
        <h1 className="page-title">Notifications</h1>
        <span className="muted small" data-testid="notifications-unread" role="status">
          {unread > 0 ? `${unread} unread` : "All read"}
        </span>
        <span className="topbar-spacer" />
        <button type="button" data-testid="notifications-mark-all" disabled={unread === 0} onClick={() => void markAllRead()}>
          Mark all read
        </button>
      </div>
      <FormError message={error} prefix="Notifications" testId="notifications-error" />
      {!loaded && !error && <p className="muted">Loading…</p>}
      {loaded && notifications.length === 0 && (
        <p className="muted" data-testid="notifications-empty">
          Nothing yet. You hear here when a task you started ends or asks a question, a mission you started ends, someone mentions you, or a trigger of
          yours fails.
        </p>
      )}
      {notifications.length > 0 && (
        <ul className="card notification-list" data-testid="notification-list">
          {notifications.map((n) => (
            <NotificationItem key={n.id} notification={n} now={now} onRead={(id) => void markRead([id])} />
          ))}
        </ul>
      )}
      <p className="muted small">
        Push to this browser and an outgoing webhook are set in <Link to={paths.settings()}>Settings</Link>.
      </p>
    </div>
  );
}
