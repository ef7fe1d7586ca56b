/**
 * One notification in the list: its kind (a symbol and a label), its title linking to what it is
 * about (opening it marks it read), its body (Markdown, sanitised by the shared renderer), when
 * it happened (relative, the exact time on hover) and, while unread, a "Mark read" button.
 */
import type { Notification } from "../../shared/notification.ts";
import { formatTime } from "../lib/format.ts";
import { NOTIFICATION_KIND_TEXT, notificationHref, relativeTime } from "../lib/notifications.ts";
import { Link } from "../lib/router.tsx";
import { Markdown } from "./Markdown.tsx";

type Props = {
  notification: Notification;
  /** Now, in epoch ms (the list ticks it so relative times move on). */
  now: number;
  /** Marks it read (on open, or with its button). */
  onRead: (id: string) => void;
};

/** A `<li>` for one notification; unread ones have the `notification-unread` class and `data-read="false"`. */
export function NotificationItem({ notification: n, now, onRead }: Props) {
  const unread = n.readAt === null;
  const kind = NOTIFICATION_KIND_TEXT[n.kind];
  return (
    <li className={unread ? "notification notification-unread" : "notification"} data-testid="notification-item" data-notification-id={n.id} data-kind={n.kind} data-read={String(!unread)}>
      <span className={`notification-icon notification-icon-${n.kind.replace(".", "-")}`} aria-hidden="true">
        {kind.icon}
      </span>
      <div className="notification-main">
        <div className="notification-head">
          <span className="notification-kind small muted">{kind.label}</span>
          {unread && <span className="visually-hidden">(unread)</span>}
          <time className="notification-time small muted" dateTime={n.createdAt} title={formatTime(n.createdAt)}>
            {relativeTime(n.createdAt, now)}
          </time>
        </div>
        <Link to={notificationHref(n.link)} className="notification-title" data-testid="notification-link" onClick={() => unread && onRead(n.id)}>
          {n.title}
        </Link>
        {n.body && <Markdown text={n.body} className="notification-body small" testId="notification-body" diagrams={false} />}
      </div>
      {unread && (
        <button type="button" className="link-button small notification-mark" data-testid="notification-mark-read" onClick={() => onRead(n.id)}>
          Mark read
        </button>
      )}
    </li>
  );
}
