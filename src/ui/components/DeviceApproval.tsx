/**
 * One device's sign-in request: which client asks, its code (to compare with the terminal's),
 * and Approve / Deny; then the outcome in plain words. An unknown or expired code, too many wrong
 * codes, or a code already decided are said as such.
 */
import { useState } from "react";
import { ApiError, errorMessage } from "../lib/api.ts";
import { decideDevice, getDeviceRequest, type DeviceStatus } from "../lib/peopleApi.ts";
import { formatTime } from "../lib/format.ts";
import { useLoader } from "../lib/useLoader.ts";
import { FormError } from "./FormError.tsx";

/** What an outcome means for the person at the terminal. */
const OUTCOMES: Record<Exclude<DeviceStatus, "pending">, string> = {
  approved: "Approved. You can close this window; the CLI is signed in.",
  consumed: "This code was approved and the CLI has signed in with it. You can close this window.",
  denied: "Denied. The CLI was not signed in; you can close this window.",
};

/** Why a code could not be shown, in words. */
function lookupProblem(error: unknown): string {
  if (error instanceof ApiError && error.status === 404) return "This code is unknown or has expired. Ask the CLI for a new one.";
  if (error instanceof ApiError && error.status === 429) return "Too many wrong codes: wait a minute, then try again.";
  if (error instanceof ApiError && error.status === 400) return "That is not a code (it is 8 letters, like BCDF-GHJK).";
  return errorMessage(error);
}

/** The request of `userCode`; `onOtherCode` goes back to the code entry box. */
export function DeviceApproval({ userCode, onOtherCode }: { userCode: string; onOtherCode: () => void }) {
  const request = useLoader(
    (signal) =>
      getDeviceRequest(userCode, signal).catch((error: unknown) => {
        throw new Error(lookupProblem(error));
      }),
    [userCode],
  );
  const [decided, setDecided] = useState<DeviceStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const decide = async (decision: "approve" | "deny") => {
    setBusy(true);
    setError(null);
    try {
      setDecided(await decideDevice(userCode, decision));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setError("This code was already approved or denied.");
        request.reload();
      } else setError(err instanceof ApiError && (err.status === 404 || err.status === 429) ? lookupProblem(err) : errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  if (request.error) {
    return (
      <div data-testid="device-approval">
        <FormError message={request.error} testId="device-error" />
        <button type="button" className="secondary" onClick={onOtherCode}>
          Enter another code
        </button>
      </div>
    );
  }
  if (!request.data) return <p className="muted">Looking up the code…</p>;
  const status = decided ?? request.data.status;
  return (
    <div data-testid="device-approval" data-status={status}>
      <p>
        <strong className="mono">{request.data.clientId}</strong> asks to sign in to SAM as you, with everything you may do.
      </p>
      <p>
        Check that your terminal shows this code:{" "}
        <span className="device-code mono" data-testid="device-user-code">
          {request.data.userCode}
        </span>
      </p>
      {status === "pending" ? (
        <>
          <p className="muted small">The code expires at {formatTime(request.data.expiresAt)}. If you did not start this, deny it.</p>
          <div className="row">
            <button type="button" data-testid="device-approve-button" disabled={busy} onClick={() => void decide("approve")}>
              Approve
            </button>
            <button type="button" className="danger" data-testid="device-deny-button" disabled={busy} onClick={() => void decide("deny")}>
              Deny
            </button>
          </div>
        </>
      ) : (
        <p className={status === "denied" ? "notice" : "notice device-ok"} role="status" data-testid="device-result">
          {OUTCOMES[status]}
        </p>
      )}
      <FormError message={error} testId="device-error" />
    </div>
  );
}
