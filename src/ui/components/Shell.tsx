/** The signed-in frame: top bar (home link, navigation, user, sign out) around the page. */
import { useEffect, useState, type ReactNode } from "react";
import { getMe, type User } from "../lib/api.ts";
import { signOut } from "../lib/auth.ts";
import { Link, paths } from "../lib/router.tsx";

/** Wraps a signed-in page with the top bar. */
export function Shell({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);

  useEffect(() => {
    let live = true;
    // Also checks the stored token: a 401 here signs out.
    getMe()
      .then((u) => {
        if (live) setUser(u);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);

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
        </nav>
        <span className="topbar-spacer" />
        {user && <span className="topbar-user" title={user.id}>{user.name}</span>}
        <button type="button" className="link-button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
