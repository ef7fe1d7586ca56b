/** The "Sign in with GitHub" link: remembers where the visitor was, then lets the browser go to the server's GitHub sign-in. */
import { GITHUB_SIGN_IN_PATH } from "../lib/peopleApi.ts";
import { rememberReturnPath } from "../lib/returnTo.ts";

/** A plain link to `/api/auth/github` (a full navigation: the server redirects to GitHub and, signed in, back to `/`). */
export function GitHubSignIn() {
  return (
    <a
      className="button github-signin"
      href={GITHUB_SIGN_IN_PATH}
      data-testid="github-signin-link"
      onClick={() => rememberReturnPath(window.location.pathname + window.location.search)}
    >
      Sign in with GitHub
    </a>
  );
}
