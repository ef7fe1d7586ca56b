/** `/admin/users` (admins): every account, pending ones first to approve, with approve / suspend / reinstate, and a form to add a person. */
import type { User } from "../lib/api.ts";
import { listAccounts, type Account } from "../lib/peopleApi.ts";
import { useLoader } from "../lib/useLoader.ts";
import { AccountRow } from "./AccountRow.tsx";
import { AddUserForm } from "./AddUserForm.tsx";
import { FormError } from "./FormError.tsx";

const STATUS_ORDER: Record<Account["status"], number> = { pending: 0, active: 1, suspended: 2 };

/** The people page, seen by the admin `user` (anyone else is told it is for admins). */
export function AdminUsersPage({ user }: { user: User }) {
  const accounts = useLoader((signal) => (user.role === "admin" ? listAccounts(signal) : Promise.resolve([])), [user.role]);

  if (user.role !== "admin") {
    return (
      <div className="page narrow">
        <h1>People</h1>
        <p className="form-error" role="alert" data-testid="admin-only">
          Only an admin can manage people.
        </p>
      </div>
    );
  }

  const changed = (account: Account) => accounts.setData((list) => (list ?? []).map((a) => (a.id === account.id ? account : a)));
  const added = (account: Account) => {
    accounts.setData((list) => [...(list ?? []).filter((a) => a.id !== account.id), account]);
    accounts.reload(); // a first load still on its way would not have them
  };
  const sorted = [...(accounts.data ?? [])].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  const pending = sorted.filter((a) => a.status === "pending").length;

  return (
    <div className="page narrow admin-users-page" data-testid="admin-users-page">
      <h1>People</h1>
      {pending > 0 && (
        <p className="notice" data-testid="admin-pending-count">
          {pending === 1 ? "1 person waits for your approval." : `${pending} people wait for your approval.`}
        </p>
      )}
      <section className="card">
        <h2>Accounts</h2>
        <FormError message={accounts.error} prefix="Could not load the accounts" />
        {accounts.loading && !accounts.data && <p className="muted">Loading…</p>}
        <ul className="list account-list">
          {sorted.map((account) => (
            <AccountRow key={account.id} account={account} isMe={account.id === user.id} onChanged={changed} />
          ))}
        </ul>
      </section>
      <AddUserForm onAdded={added} />
    </div>
  );
}
