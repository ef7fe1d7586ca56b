/**
 * `/device` (RFC 8628's verification_uri; `/device?user_code=XXXX-XXXX` is
 * verification_uri_complete): approve or deny the sign-in of a device such as the `sam` CLI. A
 * signed-out visitor signs in first and comes back here with the code (App shows the sign-in
 * page on this same address).
 */
import { navigate, paths, useSearch } from "../lib/router.tsx";
import { DeviceApproval } from "./DeviceApproval.tsx";
import { DeviceCodeForm } from "./DeviceCodeForm.tsx";

/** The device approval page: the code entry box, or the request of the code in the address. */
export function DevicePage() {
  const userCode = new URLSearchParams(useSearch()).get("user_code")?.trim() || null;
  return (
    <div className="page narrow device-page" data-testid="device-page">
      <h1>Sign in a device</h1>
      <section className="card">
        {userCode ? (
          <DeviceApproval key={userCode} userCode={userCode} onOtherCode={() => navigate(paths.device())} />
        ) : (
          <>
            <p>Enter the code your terminal shows.</p>
            <DeviceCodeForm onCode={(code) => navigate(paths.device(code))} />
          </>
        )}
      </section>
    </div>
  );
}
