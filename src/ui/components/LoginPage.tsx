/** `/login#token=<token>`: checks the token from the hash, stores it and goes home. */
import { useEffect, useState } from "react";
import { setToken, useToken } from "../lib/auth.ts";
import { navigate, paths } from "../lib/router.tsx";
import { SignedOutPage } from "./SignedOutPage.tsx";
import { verifyToken } from "./TokenForm.tsx";

function tokenFromHash(): string | null {
  const hash = window.location.hash.replace(/^#/, "");
  if (!hash) return null;
  const token = new URLSearchParams(hash).get("token");
  return token && token.trim() ? token.trim() : null;
}

/** The login page: signs in with the hash token, or shows the sign-in help. */
export function LoginPage() {
  const existing = useToken();
  const [hashToken, setHashToken] = useState(tokenFromHash);
  const [problem, setProblem] = useState<string | null>(null);

  // A new login link opened in this same tab only changes the hash: pick it up.
  useEffect(() => {
    const onHashChange = () => {
      const token = tokenFromHash();
      if (token) {
        setProblem(null);
        setHashToken(token);
      }
    };
    window.addEventListener("hashchange", onHashChange);
    return () => window.removeEventListener("hashchange", onHashChange);
  }, []);

  useEffect(() => {
    if (!hashToken) {
      if (existing) navigate(paths.projects(), { replace: true });
      return;
    }
    let live = true;
    // Take the token out of the address bar (and history) right away.
    window.history.replaceState(null, "", "/login");
    verifyToken(hashToken).then((error) => {
      if (!live) return;
      if (error) {
        setProblem(`This login link did not work: ${error}`);
        return;
      }
      setToken(hashToken);
      navigate(paths.projects(), { replace: true });
    });
    return () => {
      live = false;
    };
    // Runs once per page load; `existing` only matters without a hash token.
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
