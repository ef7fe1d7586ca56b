/**
 * The signed-in frame: top bar (home link, navigation, the notifications bell, who is signed in,
 * sign out) around the page. The bell needs the `<NotificationsProvider>` App puts around it.
 */
import type { ReactNode } from "react";
import type { User } from "../lib/api.ts";
import { Link, paths } from "../lib/router.tsx";
import { signOut } from "../lib/session.ts";
import { Avatar } from "./Avatar.tsx";
import { NotificationBell } from "./NotificationBell.tsx";

/** Wraps a signed-in page with the top bar; the People link is there for admins only. */
export function Shell({ user, children }: { user: User; children: ReactNode }) {
  return (
    <div className="app">
      <header className="topbar">
        <Link to={paths.projects()} className="brand">
          SAM
        </Link>
        <nav className="topbar-nav">
          <Link to={paths.projects()} data-testid="nav-projects">
            Projects
          </Link>
          <Link to={paths.usage()} data-testid="nav-usage">
            Usage
          </Link>
          <Link to={paths.settings()} data-testid="nav-settings">
            Settings
          </Link>
          <Link to={paths.tokens()} data-testid="nav-tokens">
            Tokens
          </Link>
          {user.role === "admin" && (
            <Link to={paths.adminUsers()} data-testid="nav-admin-users">
              People
            </Link>
          )}
        </nav>
        <span className="topbar-spacer" />
        <NotificationBell />
        <span className="topbar-user" title={user.id} data-testid="topbar-user">
          <Avatar name={user.name} url={user.avatarUrl} size="small" />
          {user.name}
        </span>
        <button type="button" className="link-button" data-testid="sign-out-button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
