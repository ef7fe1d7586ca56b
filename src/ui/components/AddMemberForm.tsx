/**
 * Adds a person to a project (owners): an admin picks from every active account; anyone else
 * pastes the person's user id (they find it on their Tokens page). With a role: member (reads and
 * writes), viewer (only reads) or owner (also manages members).
 */
import { useState } from "react";
import { listAccounts, PROJECT_ROLES, setMember, type ProjectMember, type ProjectRole } from "../lib/peopleApi.ts";
import { useLoader } from "../lib/useLoader.ts";
import { useTextSubmit } from "../lib/useTextSubmit.ts";
import { FormError } from "./FormError.tsx";

type Props = {
  projectId: string;
  /** Whether the signed-in person is an admin (then they pick from the account list). */
  admin: boolean;
  /** Who is already a member (left out of the picker). */
  memberIds: ReadonlySet<string>;
  onAdded: (member: ProjectMember) => void;
};

/** The form; `onAdded` gets the member as stored (added, or their role changed). */
export function AddMemberForm({ projectId, admin, memberIds, onAdded }: Props) {
  const accounts = useLoader((signal) => (admin ? listAccounts(signal) : Promise.resolve([])), [admin]);
  const [role, setRole] = useState<ProjectRole>("member");
  const { text: userId, setText: setUserId, busy, error, submit } = useTextSubmit(async (id) => onAdded(await setMember(projectId, id, role)));
  const candidates = (accounts.data ?? []).filter((a) => a.status === "active" && !memberIds.has(a.id));

  return (
    <form className="form-inline add-member" onSubmit={submit}>
      {admin ? (
        <select aria-label="Person" data-testid="member-user-select" value={userId} onChange={(e) => setUserId(e.target.value)}>
          <option value="">{accounts.loading ? "Loading people…" : candidates.length ? "Choose a person…" : "Everyone is a member"}</option>
          {candidates.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.id})
            </option>
          ))}
        </select>
      ) : (
        <input
          aria-label="User id"
          data-testid="member-user-id-input"
          className="mono"
          placeholder="usr_… (their user id, from their Tokens page)"
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
        />
      )}
      <select aria-label="Role" data-testid="member-new-role-select" value={role} onChange={(e) => setRole(e.target.value as ProjectRole)}>
        {PROJECT_ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="submit" data-testid="member-add-button" disabled={busy || !userId.trim()}>
        {busy ? "Adding…" : "Add"}
      </button>
      <FormError message={error} testId="member-add-error" />
      <FormError message={accounts.error} prefix="Could not load the people" />
    </form>
  );
}
