/**
 * What a signed-in person whose account is not active sees instead of the app: waiting for an
 * admin's approval (checked again every 15 s and on demand), or suspended; with a sign-out button.
 */
import { useEffect, useState } from "react";
import type { User } from "../lib/api.ts";
import { loadSession, signOut } from "../lib/session.ts";
import { Avatar } from "./Avatar.tsx";

/** How often a pending account asks again whether it was approved, in ms. */
const RECHECK_MS = 15_000;

/** The status page of `user` (pending or suspended). */
export function AccountStatusPage({ user }: { user: User }) {
  const [checking, setChecking] = useState(false);
  const pending = user.status === "pending";

  useEffect(() => {
    if (!pending) return;
    const timer = window.setInterval(() => void loadSession(), RECHECK_MS);
    return () => window.clearInterval(timer);
  }, [pending]);

  const checkAgain = async () => {
    setChecking(true);
    await loadSession();
    setChecking(false);
  };

  return (
    <div className="signin">
      <div className="card signin-card account-status" data-testid={pending ? "account-pending" : "account-suspended"}>
        <div className="row">
          <Avatar name={user.name} url={user.avatarUrl} />
          <strong>{user.name}</strong>
        </div>
        {pending ? (
          <>
            <h1>Waiting for approval</h1>
            <p>
              You are signed in, and your account is waiting for an admin's approval. Once an admin approves it, this page opens
              SAM by itself.
            </p>
          </>
        ) : (
          <>
            <h1>Account suspended</h1>
            <p>Your account is suspended: you cannot use SAM until an admin reinstates it.</p>
          </>
        )}
        <p className="muted small">
          Your user id, for the admin: <span className="mono" data-testid="account-user-id">{user.id}</span>
        </p>
        <div className="row">
          {pending && (
            <button type="button" data-testid="account-check-button" disabled={checking} onClick={() => void checkAgain()}>
              {checking ? "Checking…" : "Check again"}
            </button>
          )}
          <button type="button" className="secondary" data-testid="sign-out-button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </div>
    </div>
  );
}
