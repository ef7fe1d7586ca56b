/**
 * The top bar's bell: a link to `/notifications` whose accessible name says how many are unread
 * ("Notifications, 3 unread"), with the count on a badge, kept live by the per-user socket
 * (`useNotifications`).
 */
import { badgeText, bellLabel } from "../lib/notifications.ts";
import { useNotifications } from "../lib/notificationsContext.tsx";
import { Link, paths } from "../lib/router.tsx";

/**
 * The bell with the unread count; `data-unread` carries the number for tests (0 while unknown),
 * `data-settled` whether the per-user socket is open and no fetch of the list is in flight.
 */
export function NotificationBell() {
  const { unreadCount, connection, loaded, fetching } = useNotifications();
  const settled = connection === "connected" && loaded && fetching === 0;
  const count = unreadCount ?? 0;
  const badge = badgeText(count);
  return (
    <Link to={paths.notifications()} className={count > 0 ? "bell bell-unread" : "bell"} aria-label={bellLabel(count)} title={bellLabel(count)} data-testid="notification-bell" data-unread={count} data-settled={settled}>
      <svg className="bell-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
        <path
          d="M12 2a6 6 0 0 0-6 6v3.6l-1.7 3.4A1 1 0 0 0 5.2 16.5h13.6a1 1 0 0 0 .9-1.5L18 11.6V8a6 6 0 0 0-6-6Zm0 20a3 3 0 0 0 2.8-2H9.2A3 3 0 0 0 12 22Z"
          fill="currentColor"
        />
      </svg>
      {badge && (
        <span className="bell-badge" aria-hidden="true" data-testid="notification-unread-count">
          {badge}
        </span>
      )}
    </Link>
  );
}
