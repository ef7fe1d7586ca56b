/**
 * `/login#token=<token>` (local mode's login link): takes the token out of the address bar at
 * once, swaps it for this browser's sign-in cookie (`POST /api/auth/session`) and goes home (or
 * back to the page remembered before signing in). Without a token in the hash it is the sign-in
 * page.
 */
import { useEffect, useState } from "react";
import { tokenFromHash } from "../lib/peopleRules.ts";
import { takeReturnPath } from "../lib/returnTo.ts";
import { navigate, paths } from "../lib/router.tsx";
import { signInWithToken, useSession } from "../lib/session.ts";
import { SignedOutPage } from "./SignedOutPage.tsx";

/** The login page: signs in with the hash token, or shows the sign-in page. */
export function LoginPage() {
  const session = useSession();
  const [hashToken, setHashToken] = useState(() => tokenFromHash(window.location.hash));
  const [problem, setProblem] = useState<string | null>(null);

  // A new login link opened in this same tab only changes the hash: pick it up.
  useEffect(() => {
    const onHashChange = () => {
      const token = tokenFromHash(window.location.hash);
      if (token) {
        setProblem(null);
        setHashToken(token);
      }
    };
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, []);

  const signedIn = session.status === "signedIn";
  useEffect(() => {
    if (!hashToken) {
      if (signedIn) navigate(takeReturnPath() ?? paths.projects(), { replace: true });
      return;
    }
    let live = true;
    // Take the token out of the address bar (and history) right away.
    window.history.replaceState(null, "", "/login");
    signInWithToken(hashToken).then((error) => {
      if (!live) return;
      if (error) {
        setProblem(`This login link did not work: ${error}`);
        setHashToken(null);
        return;
      }
      navigate(takeReturnPath() ?? paths.projects(), { replace: true });
    });
    return () => {
      live = false;
    };
    // Runs once per token; `signedIn` only matters without a hash token.
  }, [hashToken]);

  if (hashToken && !problem) {
    return (
      <div className="signin">
        <div className="card signin-card">
          <p>Signing in…</p>
        </div>
      </div>
    );
  }
  return <SignedOutPage problem={problem} />;
}
