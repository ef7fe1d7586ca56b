/** One account in the admin's list: picture, name, id, role, status, when it was made, and the status changes that apply. */
import { useState } from "react";
import { errorMessage } from "../lib/api.ts";
import { formatTime } from "../lib/format.ts";
import { changeAccount, type Account, type AccountAction } from "../lib/peopleApi.ts";
import { Avatar } from "./Avatar.tsx";
import { FormError } from "./FormError.tsx";

/** The actions of an account in `status`, as the server allows them. */
const ACTIONS: Record<Account["status"], AccountAction[]> = { pending: ["approve", "suspend"], active: ["suspend"], suspended: ["reinstate"] };
const LABELS: Record<AccountAction, string> = { approve: "Approve", suspend: "Suspend", reinstate: "Reinstate" };

type Props = { account: Account; isMe: boolean; onChanged: (account: Account) => void };

/** A row of the account list; `onChanged` gets the account after an action. You cannot suspend yourself. */
export function AccountRow({ account, isMe, onChanged }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = async (action: AccountAction) => {
    if (action === "suspend" && !window.confirm(`Suspend ${account.name}? They are signed out of SAM at once.`)) return;
    setBusy(true);
    setError(null);
    try {
      onChanged(await changeAccount(account.id, action));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const actions = ACTIONS[account.status].filter((a) => !(isMe && a === "suspend"));
  return (
    <li className="list-row account-row" data-testid="admin-user-row" data-user-id={account.id} data-status={account.status}>
      <Avatar name={account.name} url={account.avatarUrl} />
      <span className="account-main">
        <span className="list-title">
          {account.name}
          {isMe && <span className="muted small"> (you)</span>}
        </span>{" "}
        <span className="chip">{account.role}</span>{" "}
        <span className={`badge badge-${account.status === "active" ? "succeeded" : account.status === "pending" ? "waiting" : "failed"}`} data-testid="admin-user-status">
          {account.status}
        </span>
        <span className="muted small mono">{account.id}</span>
        <span className="muted small">since {formatTime(account.createdAt)}</span>
      </span>
      <span className="row">
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={action === "suspend" ? "danger" : undefined}
            data-testid={`admin-${action}-button`}
            disabled={busy}
            onClick={() => void act(action)}
          >
            {LABELS[action]}
          </button>
        ))}
      </span>
      <FormError message={error} testId="admin-user-error" />
    </li>
  );
}
