/**
 * The app shell: the sign-in gate (signed out: the sign-in page on any address; an account
 * pending approval or suspended: its status page) and the route switch.
 */
import { AccountStatusPage } from "./components/AccountStatusPage.tsx";
import { AdminUsersPage } from "./components/AdminUsersPage.tsx";
import { DevicePage } from "./components/DevicePage.tsx";
import { LoginPage } from "./components/LoginPage.tsx";
import { NotFound } from "./components/NotFound.tsx";
import { NotificationsPage } from "./components/NotificationsPage.tsx";
import { ProjectPage } from "./components/ProjectPage.tsx";
import { ProjectsPage } from "./components/ProjectsPage.tsx";
import { Shell } from "./components/Shell.tsx";
import { SettingsPage } from "./components/SettingsPage.tsx";
import { SignedOutPage } from "./components/SignedOutPage.tsx";
import { TaskPage } from "./components/TaskPage.tsx";
import { TokensPage } from "./components/TokensPage.tsx";
import { lazy, Suspense, useEffect } from "react";
import type { User } from "./lib/api.ts";
import { NotificationsProvider } from "./lib/notificationsContext.tsx";
import { takeReturnPath } from "./lib/returnTo.ts";
import { matchRoute, navigate, usePath, type Route } from "./lib/router.tsx";
import { loadSession, useSession } from "./lib/session.ts";

/** The usage page and its charting library load only when it is opened. */
const UsagePage = lazy(() => import("./components/UsagePage.tsx").then((m) => ({ default: m.UsagePage })));

/** Renders the page for the current path, or the sign-in page when signed out. */
export function App() {
  const path = usePath();
  const session = useSession();
  const route = matchRoute(path);
  const activeUser = session.status === "signedIn" && session.user.status === "active" ? session.user : null;

  // Back from GitHub (the server always lands on `/`): go on to the page remembered before signing in.
  useEffect(() => {
    if (!activeUser || route.name === "login") return;
    const back = takeReturnPath();
    if (back && back !== window.location.pathname + window.location.search) navigate(back, { replace: true });
  }, [activeUser?.id]);

  if (route.name === "login") return <LoginPage />;
  switch (session.status) {
    case "loading":
      return <p className="muted center">Loading…</p>;
    case "unreachable":
      return (
        <div className="signin">
          <div className="card signin-card" role="alert">
            <p className="form-error">SAM could not be reached: {session.message}</p>
            <button type="button" onClick={() => void loadSession()}>
              Try again
            </button>
          </div>
        </div>
      );
    case "signedOut":
      return <SignedOutPage problem={session.problem} />;
  }
  if (!activeUser) return <AccountStatusPage user={session.user} />;
  return (
    <NotificationsProvider userId={activeUser.id}>
      <Shell user={activeUser}>{page(route, activeUser)}</Shell>
    </NotificationsProvider>
  );
}

/** The page of `route` for the signed-in, active `user`. */
function page(route: Route, user: User) {
  switch (route.name) {
    case "projects":
      return <ProjectsPage />;
    case "project":
      return <ProjectPage key={route.projectId} projectId={route.projectId} sessionId={route.sessionId} me={user} />;
    case "task":
      return <TaskPage key={route.taskId} taskId={route.taskId} me={user} />;
    case "usage":
      return (
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <UsagePage />
        </Suspense>
      );
    case "settings":
      return <SettingsPage />;
    case "tokens":
      return <TokensPage user={user} />;
    case "device":
      return <DevicePage />;
    case "adminUsers":
      return <AdminUsersPage user={user} />;
    case "notifications":
      return <NotificationsPage />;
    default:
      return <NotFound />;
  }
}
