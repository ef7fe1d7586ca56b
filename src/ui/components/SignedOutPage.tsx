/** What a signed-out visitor sees: how to get a login link, and a paste-token box. */
import { matchRoute, navigate, paths } from "../lib/router.tsx";
import { TokenForm } from "./TokenForm.tsx";
import { FormError } from "./FormError.tsx";

function afterSignIn(): void {
  // On /login go home; on any other page stay where the visitor was headed.
  if (matchRoute(window.location.pathname).name === "login") navigate(paths.projects(), { replace: true });
}

/** The sign-in page without a token. */
export function SignedOutPage({ problem }: { problem?: string | null }) {
  return (
    <div className="signin">
      <div className="card signin-card">
        <h1>SAM</h1>
        <FormError message={problem} />
        <p>
          To sign in, open the login link printed by <code>npm start</code> in your terminal (it looks like{" "}
          <code>/login#token=…</code>).
        </p>
        <p className="muted">Or paste an API token:</p>
        <TokenForm onSignedIn={afterSignIn} />
      </div>
    </div>
  );
}
