/**
 * What a signed-out visitor sees, on any page: "Sign in with GitHub" when the server offers it,
 * how to get a login link in local mode, and a paste-a-token box. Signing in keeps the visitor on
 * the page they were headed to (e.g. `/device?user_code=...`).
 */
import { getAuthConfig } from "../lib/peopleApi.ts";
import { matchRoute, navigate, paths } from "../lib/router.tsx";
import { useLoader } from "../lib/useLoader.ts";
import { FormError } from "./FormError.tsx";
import { GitHubSignIn } from "./GitHubSignIn.tsx";
import { TokenForm } from "./TokenForm.tsx";

function afterSignIn(): void {
  // On /login go home; on any other page stay where the visitor was headed.
  if (matchRoute(window.location.pathname).name === "login") navigate(paths.projects(), { replace: true });
}

/** The sign-in page; `problem` says why the visitor is here (a failed login link, an ended sign-in). */
export function SignedOutPage({ problem }: { problem?: string | null }) {
  const config = useLoader((signal) => getAuthConfig(signal), []);
  return (
    <div className="signin">
      <div className="card signin-card" data-testid="signed-out-page">
        <h1>SAM</h1>
        <FormError message={problem} testId="signin-problem" />
        {config.data?.github && (
          <div className="signin-github">
            <GitHubSignIn />
          </div>
        )}
        {config.data?.localMode && (
          <p>
            To sign in here, open the login link printed by <code>npm start</code> in your terminal (it looks like{" "}
            <code>/login#token=…</code>).
          </p>
        )}
        <p className="muted">{config.data?.github ? "Or sign in with a personal access token:" : "Sign in with a personal access token:"}</p>
        <TokenForm onSignedIn={afterSignIn} />
      </div>
    </div>
  );
}
