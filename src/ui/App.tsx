/** The app shell: sign-in gate and the route switch. */
import { LoginPage } from "./components/LoginPage.tsx";
import { NotFound } from "./components/NotFound.tsx";
import { ProjectPage } from "./components/ProjectPage.tsx";
import { ProjectsPage } from "./components/ProjectsPage.tsx";
import { Shell } from "./components/Shell.tsx";
import { SettingsPage } from "./components/SettingsPage.tsx";
import { SignedOutPage } from "./components/SignedOutPage.tsx";
import { TaskPage } from "./components/TaskPage.tsx";
import { lazy, Suspense } from "react";
import { useToken } from "./lib/auth.ts";
import { matchRoute, usePath } from "./lib/router.tsx";

/** The usage page and its charting library load only when it is opened. */
const UsagePage = lazy(() => import("./components/UsagePage.tsx").then((m) => ({ default: m.UsagePage })));

/** Renders the page for the current path, or the sign-in page when signed out. */
export function App() {
  const path = usePath();
  const token = useToken();
  const route = matchRoute(path);

  if (route.name === "login") return <LoginPage />;
  if (!token) return <SignedOutPage />;

  let page;
  switch (route.name) {
    case "projects":
      page = <ProjectsPage />;
      break;
    case "project":
      page = <ProjectPage key={route.projectId} projectId={route.projectId} sessionId={route.sessionId} />;
      break;
    case "task":
      page = <TaskPage key={route.taskId} taskId={route.taskId} />;
      break;
    case "usage":
      page = (
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <UsagePage />
        </Suspense>
      );
      break;
    case "settings":
      page = <SettingsPage />;
      break;
    default:
      page = <NotFound />;
  }
  return <Shell>{page}</Shell>;
}
